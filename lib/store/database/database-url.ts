import type { DataSourceOptions } from 'typeorm';
import { RequestQueueConfigError } from '../../core/errors.js';

/**
 * TypeORM connection options from a `DATABASE_URL`:
 * - `sqlite:./var/request-queue.sqlite`, `sqlite:/abs/path.sqlite`, `sqlite::memory:` → better-sqlite3
 * - `mysql://user:pass@host:3306/db`, `mariadb://…` → mysql2
 * - `postgres://user:pass@host:5432/db`, `postgresql://…` → pg
 */
export function dataSourceOptionsFromUrl(url: string): DataSourceOptions {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'sqlite': {
      const database = url.slice('sqlite:'.length).replace(/^\/\/(?=\/|\.)/, '');
      if (!database)
        throw new RequestQueueConfigError(
          `DATABASE_URL 'sqlite:' needs a file name, e.g. 'sqlite:./var/request-queue.sqlite'`,
        );
      return { type: 'better-sqlite3', database };
    }
    case 'mysql':
    case 'mariadb':
      return { type: scheme, url };
    case 'postgres':
    case 'postgresql':
      return { type: 'postgres', url };
    default:
      throw new RequestQueueConfigError(
        `database url must start with sqlite:, mysql://, mariadb:// or postgres:// (got '${url.replace(/\/\/[^@/]*@/, '//…@')}')`,
      );
  }
}
