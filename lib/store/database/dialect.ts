import type { DataSource } from 'typeorm';
import { RequestQueueConfigError } from '../../core/errors.js';

/** The SQL flavours the store speaks. MariaDB speaks `mysql`. */
export type Dialect = 'mysql' | 'postgres' | 'sqlite';

/** The dialect of a DataSource, from its `type`; other TypeORM drivers are refused. */
export function dialectOf(dataSource: DataSource): Dialect {
  const type = dataSource.options.type;
  if (type === 'mysql' || type === 'mariadb') return 'mysql';
  if (type === 'postgres') return 'postgres';
  if (type === 'better-sqlite3') return 'sqlite';
  throw new RequestQueueConfigError(
    `the database driver works on TypeORM types mysql, mariadb, postgres and better-sqlite3 (got '${type}')`,
  );
}
