import { describe, expect, it } from 'vitest';
import { RequestQueueConfigError } from '../../request-queue.options.js';
import { dataSourceOptionsFromUrl } from './database-url.js';

describe('dataSourceOptionsFromUrl', () => {
  it('reads sqlite: URLs as better-sqlite3 files', () => {
    expect(dataSourceOptionsFromUrl('sqlite:./var/request-queue.sqlite')).toEqual({
      type: 'better-sqlite3',
      database: './var/request-queue.sqlite',
    });
    expect(dataSourceOptionsFromUrl('sqlite:///srv/queue.sqlite')).toEqual({
      type: 'better-sqlite3',
      database: '/srv/queue.sqlite',
    });
    expect(dataSourceOptionsFromUrl('sqlite://./q.sqlite')).toEqual({ type: 'better-sqlite3', database: './q.sqlite' });
    expect(dataSourceOptionsFromUrl('sqlite::memory:')).toEqual({ type: 'better-sqlite3', database: ':memory:' });
  });

  it('passes server URLs to the matching TypeORM driver', () => {
    expect(dataSourceOptionsFromUrl('mysql://u:p@db:3306/app')).toEqual({
      type: 'mysql',
      url: 'mysql://u:p@db:3306/app',
    });
    expect(dataSourceOptionsFromUrl('mariadb://root@127.0.0.1/app')).toEqual({
      type: 'mariadb',
      url: 'mariadb://root@127.0.0.1/app',
    });
    expect(dataSourceOptionsFromUrl('postgres://pg@h/app')).toEqual({ type: 'postgres', url: 'postgres://pg@h/app' });
    expect(dataSourceOptionsFromUrl('postgresql://pg@h/app')).toEqual({
      type: 'postgres',
      url: 'postgresql://pg@h/app',
    });
    expect(dataSourceOptionsFromUrl('MySQL://u@h/app')).toMatchObject({ type: 'mysql' });
  });

  it('refuses other schemes and an empty sqlite path, without echoing credentials', () => {
    expect(() => dataSourceOptionsFromUrl('sqlite:')).toThrow(RequestQueueConfigError);
    expect(() => dataSourceOptionsFromUrl('./file.sqlite')).toThrow(RequestQueueConfigError);
    expect(() => dataSourceOptionsFromUrl('mongodb://user:secret@h/db')).toThrow(/mongodb:\/\/…@h\/db/);
    expect(() => dataSourceOptionsFromUrl('mongodb://user:secret@h/db')).not.toThrow(/secret/);
  });
});
