import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * `request_queue_claims`: one row per correlation id seen, until `expires_at` (unix ms,
 * `correlationTtl` after the request). The primary key is what makes a second request
 * with the same id a 409; ids compare byte for byte (binary collation on MySQL).
 */
export class CreateRequestQueueClaimsTable1760000000003 implements MigrationInterface {
  name = 'CreateRequestQueueClaimsTable1760000000003';

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.options.type;
    const mysql = type === 'mysql' || type === 'mariadb';
    await queryRunner.createTable(
      new Table({
        name: 'request_queue_claims',
        columns: [
          {
            name: 'correlation_id',
            type: 'varchar',
            length: '128',
            isPrimary: true,
            ...(mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {}),
          },
          { name: 'expires_at', type: 'bigint' },
        ],
        indices: [{ name: 'request_queue_claims_expires_at_index', columnNames: ['expires_at'] }],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('request_queue_claims', true);
  }
}
