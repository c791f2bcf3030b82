import { CreateJobsTable1760000000001 } from './0001-create-jobs-table.js';
import { CreateFailedJobsTable1760000000002 } from './0002-create-failed-jobs-table.js';
import { CreateRequestQueueClaimsTable1760000000003 } from './0003-create-request-queue-claims-table.js';
import { CreateRequestQueueSignalsTable1760000000004 } from './0004-create-request-queue-signals-table.js';
import { CreateRequestQueueRequestsTable1760000000005 } from './0005-create-request-queue-requests-table.js';
import { AddRequestQueueTimelineAndThroughput1760000000006 } from './0006-add-request-queue-timeline-and-throughput.js';
import { CreateRequestQueueFlowSlotsTable1760000000007 } from './0007-create-request-queue-flow-slots-table.js';
import { CreateRequestQueueFlowTicketsTable1760000000008 } from './0008-create-request-queue-flow-tickets-table.js';

/**
 * The database driver's migrations, oldest first. Append-only: a change to the tables is a
 * new numbered file added at the end, never an edit of one that has shipped. Add this
 * list to your DataSource's `migrations` when you hand the store your own DataSource.
 */
export const requestQueueMigrations = [
  CreateJobsTable1760000000001,
  CreateFailedJobsTable1760000000002,
  CreateRequestQueueClaimsTable1760000000003,
  CreateRequestQueueSignalsTable1760000000004,
  CreateRequestQueueRequestsTable1760000000005,
  AddRequestQueueTimelineAndThroughput1760000000006,
  CreateRequestQueueFlowSlotsTable1760000000007,
  CreateRequestQueueFlowTicketsTable1760000000008,
];
