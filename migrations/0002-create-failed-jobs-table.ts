import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * `failed_jobs`, in Laravel's shape. `payload` is the job's JobPayload JSON (stage `kind`,
 * `correlationId`, …) plus `attempts`; `exception` is the error; `failed_at` is unix ms.
 */
export class CreateFailedJobsTable1760000000002 implements MigrationInterface {
  name = 'CreateFailedJobsTable1760000000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.options.type;
    const mysql = type === 'mysql' || type === 'mariadb';
    const text = mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {};
    await queryRunner.createTable(
      new Table({
        name: 'failed_jobs',
        columns: [
          {
            name: 'id',
            type: type === 'better-sqlite3' ? 'integer' : 'bigint',
            unsigned: mysql,
            isPrimary: true,
            isGenerated: true,
            generationStrategy: 'increment',
          },
          { name: 'uuid', type: 'varchar', length: '36', isUnique: true },
          { name: 'connection', type: 'text', ...text },
          { name: 'queue', type: 'text', ...text },
          { name: 'payload', type: mysql ? 'longtext' : 'text', ...text },
          { name: 'exception', type: mysql ? 'longtext' : 'text', ...text },
          { name: 'failed_at', type: 'bigint' },
        ],
        indices: [{ name: 'failed_jobs_failed_at_index', columnNames: ['failed_at'] }],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('failed_jobs', true);
  }
}
