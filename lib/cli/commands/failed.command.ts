import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { failedJobRow, formatFailedTable } from '../format.js';

export interface FailedFlags {
  json?: boolean;
}

/** `request-queue failed [--json]`: the failed jobs, newest first (Laravel's `queue:failed`). */
export async function listFailedJobs(ctx: CliContext, flags: FailedFlags): Promise<void> {
  const { runtime } = await ctx.connect();
  const jobs = await runtime.store.listFailed();
  if (flags.json) {
    ctx.out(JSON.stringify(jobs.map(failedJobRow), null, 2));
    return;
  }
  if (jobs.length === 0) {
    ctx.out('No failed jobs.');
    return;
  }
  ctx.out(formatFailedTable(jobs));
}

export function registerFailed(program: Command, ctx: CliContext): void {
  program
    .command('failed')
    .description('list failed jobs, newest first: id, queue, stage, request, correlation id, failed at, error')
    .option('--json', 'print them as JSON, for scripts')
    .action((flags: FailedFlags) => listFailedJobs(ctx, flags));
}
