import type { Command } from 'commander';
import type { FailedJob } from '../../core/job.js';
import { CliError, ExitCode } from '../cli-errors.js';
import type { CliContext } from '../cli-context.js';

export interface RetryFlags {
  queue?: string;
}

/**
 * `request-queue retry <id...> | all | --queue Q` (Laravel's `queue:retry`): puts failed
 * jobs back on their queue. A failed replay is replayed again; a failed callback delivery
 * is delivered again, without replaying the request.
 */
export async function retryFailedJobs(ctx: CliContext, ids: readonly string[], flags: RetryFlags): Promise<void> {
  const all = ids.includes('all');
  if (all && ids.length > 1) throw new CliError('Give failed job ids, or "all", not both.', ExitCode.Usage);
  if (ids.length === 0 && flags.queue === undefined) {
    throw new CliError(
      'Give the ids of failed jobs, "all", or --queue <name> (see request-queue failed).',
      ExitCode.Usage,
    );
  }
  if (ids.length > 0 && !all && flags.queue !== undefined) {
    throw new CliError('Give failed job ids or --queue <name>, not both.', ExitCode.Usage);
  }
  const { runtime } = await ctx.connect();
  const store = runtime.store;
  const failed = new Map((await store.listFailed()).map((job) => [job.id, job] as const));
  const targets =
    ids.length > 0 && !all
      ? ids
      : [...failed.values()].filter((j) => flags.queue === undefined || j.queue === flags.queue).map((j) => j.id);
  if (targets.length === 0) {
    ctx.out(
      flags.queue === undefined ? 'No failed jobs to retry.' : `No failed jobs on queue ${flags.queue} to retry.`,
    );
    return;
  }
  let missing = 0;
  for (const id of targets) {
    if ((await store.retryFailed([id])) === 1) {
      ctx.out(`Retrying failed job ${id}${describe(failed.get(id))}.`);
    } else {
      missing++;
      ctx.err(`No failed job with id ${id}.`);
    }
  }
  if (missing > 0) ctx.exitCode = ExitCode.Failure;
}

function describe(job: FailedJob | undefined): string {
  if (!job) return '';
  return ` (${job.kind === 'callback' ? 'callback of ' : ''}${job.method} ${job.path}, ${job.correlationId})`;
}

export function registerRetry(program: Command, ctx: CliContext): void {
  program
    .command('retry')
    .description('put failed jobs back on their queue: retry <id...>, retry all, retry --queue <name>')
    .argument('[ids...]', 'ids from `request-queue failed`, or "all"')
    .option('--queue <name>', 'retry every failed job of this queue')
    .action((ids: string[], flags: RetryFlags) => retryFailedJobs(ctx, ids, flags));
}
