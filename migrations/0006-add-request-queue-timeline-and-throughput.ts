import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * What the dashboard reads (issue 10). `request_queue_requests` gains the request's
 * timeline: `timeline` holds its entries as JSON lines (the last 50, never a header, body
 * or token) and `timeline_entries` how many, so an append can drop the oldest in SQL.
 * `request_queue_throughput` counts replays finished and queue waits per minute (`minute`,
 * unix ms of its start) and queue; rows older than two hours are pruned by the workers.
 */
export class AddRequestQueueTimelineAndThroughput1760000000006 implements MigrationInterface {
  name = 'AddRequestQueueTimelineAndThroughput1760000000006';

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.options.type;
    const mysql = type === 'mysql' || type === 'mariadb';
    const text = mysql ? { charset: 'utf8mb4', collation: 'utf8mb4_bin' } : {};
    // Plain ALTER TABLE on every dialect: TypeORM would rebuild the whole table on SQLite.
    const timelineType = mysql ? 'TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin' : 'TEXT';
    await queryRunner.query(`ALTER TABLE request_queue_requests ADD COLUMN timeline ${timelineType} NULL`);
    await queryRunner.query(
      'ALTER TABLE request_queue_requests ADD COLUMN timeline_entries INTEGER NOT NULL DEFAULT 0',
    );
    await queryRunner.createTable(
      new Table({
        name: 'request_queue_throughput',
        columns: [
          { name: 'minute', type: 'bigint', isPrimary: true },
          { name: 'queue', type: 'varchar', length: '255', isPrimary: true, ...text },
          { name: 'completed', type: 'integer', default: 0 },
          { name: 'failed', type: 'integer', default: 0 },
          { name: 'wait_ms', type: 'bigint', default: 0 },
          { name: 'waited', type: 'integer', default: 0 },
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('request_queue_throughput', true);
    await queryRunner.query('ALTER TABLE request_queue_requests DROP COLUMN timeline_entries');
    await queryRunner.query('ALTER TABLE request_queue_requests DROP COLUMN timeline');
  }
}
