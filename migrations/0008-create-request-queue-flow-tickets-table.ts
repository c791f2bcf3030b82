import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * `request_queue_flow_tickets`: the funnels' lines (flow control, order of arrival). One
 * row per job in a funnel, written in the transaction that stores the job: the funnel's
 * bucket (a route's or a queue's, per hashed key) and the job's id, which orders the line.
 * A row stands while its job is in `jobs`; rows whose job is gone are pruned by the workers.
 */
export class CreateRequestQueueFlowTicketsTable1760000000008 implements MigrationInterface {
  name = 'CreateRequestQueueFlowTicketsTable1760000000008';

  async up(queryRunner: QueryRunner): Promise<void> {
    const type = queryRunner.connection.options.type;
    const mysql = type === 'mysql' || type === 'mariadb';
    await queryRunner.createTable(
      new Table({
        name: 'request_queue_flow_tickets',
        columns: [
          {
            name: 'bucket',
            type: 'varchar',
            length: '64',
            isPrimary: true,
            ...(mysql ? { charset: 'ascii', collation: 'ascii_bin' } : {}),
          },
          { name: 'job_id', type: 'bigint', isPrimary: true },
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('request_queue_flow_tickets', true);
  }
}
