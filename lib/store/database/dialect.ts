import type { DataSource } from 'typeorm';
import { RequestQueueConfigError } from '../../core/errors.js';

/** The SQL flavours the store speaks. MariaDB speaks `mysql`. */
export type Dialect = 'mysql' | 'postgres' | 'sqlite';

/** The TypeORM driver types the store works on, and the dialect each speaks. */
const DIALECT_OF_TYPE: ReadonlyMap<string, Dialect> = new Map([
  ['mysql', 'mysql'],
  ['mariadb', 'mysql'],
  ['postgres', 'postgres'],
  ['better-sqlite3', 'sqlite'],
]);

/** The dialect of a DataSource, from its `type`; other TypeORM drivers are refused. */
export function dialectOf(dataSource: DataSource): Dialect {
  const type = dataSource.options.type;
  const dialect = DIALECT_OF_TYPE.get(type);
  if (!dialect) throw unsupportedType(type);
  return dialect;
}

/** The error for a TypeORM driver type the store does not work on. */
export function unsupportedType(type: string): RequestQueueConfigError {
  const types = [...DIALECT_OF_TYPE.keys()].join(', ');
  return new RequestQueueConfigError(`the database driver works on TypeORM types ${types} (got '${type}')`);
}
