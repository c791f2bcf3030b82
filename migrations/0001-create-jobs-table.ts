import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * `jobs`, in Laravel's shape (times are unix milliseconds, for sub-second retry delays).
 * The index serves both reservation scans in index order (see reserve-jobs.sql.ts), so a
 * read stops after the rows it takes.
 */
export class CreateJobsTable1760000000001 implements MigrationInterface {
  name = 'CreateJobsTable1760000000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.options.type;
    const mysql = type === 'mysql' || type === 'mariadb';
    const text = mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {};
    await queryRunner.createTable(
      new Table({
        name: 'jobs',
        columns: [
          {
            name: 'id',
            type: type === 'better-sqlite3' ? 'integer' : 'bigint',
            unsigned: mysql,
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          { name: 'queue', type: 'varchar', length: '255', ...text },
          { name: 'payload', type: mysql ? 'longtext' : 'text', ...text },
          { name: 'attempts', type: 'integer', unsigned: mysql, default: 0 },
          { name: 'reserved_at', type: 'bigint', isNullable: true },
          { name: 'available_at', type: 'bigint' },
          { name: 'created_at', type: 'bigint' },
        ],
        indices: [
          {
            name: 'jobs_queue_reserved_at_available_at_id_index',
            columnNames: ['queue', 'reserved_at', 'available_at', 'id'],
          },
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('jobs', true);
  }
}
