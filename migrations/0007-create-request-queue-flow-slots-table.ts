import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * `request_queue_flow_slots`: flow control (throttle, funnel) slots. One row per slot of a
 * bucket (a route's or a queue's limit, per hashed key), `slot_no` below the limit; the
 * primary key is what keeps two workers from taking the same slot. `expires_at` (unix ms)
 * is when the slot frees: a throttle's start plus its period, or a funnel holder's lease,
 * renewed while it runs. Rows long free are pruned by the workers.
 */
export class CreateRequestQueueFlowSlotsTable1760000000007 implements MigrationInterface {
  name = 'CreateRequestQueueFlowSlotsTable1760000000007';

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.options.type;
    const mysql = type === 'mysql' || type === 'mariadb';
    await queryRunner.createTable(
      new Table({
        name: 'request_queue_flow_slots',
        columns: [
          {
            name: 'bucket',
            type: 'varchar',
            length: '64',
            isPrimary: true,
            ...(mysql ? { charset: 'ascii', collation: 'ascii_bin' } : {}),
          },
          { name: 'slot_no', type: 'integer', isPrimary: true },
          { name: 'holder', type: 'varchar', length: '191' },
          { name: 'expires_at', type: 'bigint' },
        ],
        indices: [{ name: 'request_queue_flow_slots_expires_at_index', columnNames: ['expires_at'] }],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('request_queue_flow_slots', true);
  }
}
