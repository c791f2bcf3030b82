import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * `request_queue_requests`: the status record of each queued request (`StatusRecord`),
 * keyed by its correlation id (compared byte for byte, as in `request_queue_claims`).
 * Times are unix ms. `expires_at` is null while the request may still run and is set once
 * it is final (`statusTtl` later); the index serves reads that skip expired rows and the
 * worker's bounded prune. `result` holds the sealed outcome, which can be large (longtext
 * on MySQL).
 */
export class CreateRequestQueueRequestsTable1760000000005 implements MigrationInterface {
  name = 'CreateRequestQueueRequestsTable1760000000005';

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.options.type;
    const mysql = type === 'mysql' || type === 'mariadb';
    const text = mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {};
    await queryRunner.createTable(
      new Table({
        name: 'request_queue_requests',
        columns: [
          { name: 'correlation_id', type: 'varchar', length: '128', isPrimary: true, ...text },
          { name: 'state', type: 'varchar', length: '16' },
          { name: 'attempts', type: 'integer', default: 0 },
          { name: 'queue', type: 'varchar', length: '255', ...text },
          { name: 'job_id', type: 'varchar', length: '64' },
          { name: 'queued_at', type: 'bigint' },
          { name: 'updated_at', type: 'bigint' },
          { name: 'next_attempt_at', type: 'bigint', isNullable: true },
          { name: 'result', type: mysql ? 'longtext' : 'text', isNullable: true, ...text },
          { name: 'fingerprint', type: 'varchar', length: '128', isNullable: true, ...text },
          { name: 'expires_at', type: 'bigint', isNullable: true },
        ],
        indices: [{ name: 'request_queue_requests_expires_at_index', columnNames: ['expires_at'] }],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('request_queue_requests', true);
  }
}
