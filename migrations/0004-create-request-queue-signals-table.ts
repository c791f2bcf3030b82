import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/** `request_queue_signals`: named values workers poll, such as `restart` (unix ms of the last `request-queue restart`). */
export class CreateRequestQueueSignalsTable1760000000004 implements MigrationInterface {
  name = 'CreateRequestQueueSignalsTable1760000000004';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.createTable(
      new Table({
        name: 'request_queue_signals',
        columns: [
          { name: 'name', type: 'varchar', length: '64', isPrimary: true },
          { name: 'value', type: 'bigint', isNullable: true },
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('request_queue_signals', true);
  }
}
