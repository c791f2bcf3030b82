import { DataSource } from 'typeorm';
import { ownDataSourceOptions } from './open-data-source.js';

/**
 * The DataSource TypeORM's CLI runs the request queue's migrations with, on the database
 * `DATABASE_URL` names [`sqlite:./var/request-queue.sqlite`]:
 *
 *   npx typeorm migration:run  -d node_modules/nestjs-request-queue/dist/lib/store/database/migration-data-source.js
 *   npx typeorm migration:show -d …   (what ran, what is pending)
 *   npx typeorm migration:revert -d … (undoes the last one)
 *
 * In this repository: `npm run migrate`. Only loaded by that command, never by the library.
 */
export default new DataSource(
  ownDataSourceOptions({ url: process.env.DATABASE_URL || 'sqlite:./var/request-queue.sqlite' }, 5000),
);
