import { Option, type Command } from 'commander';
import { JOB_STATES, type JobState } from '../../core/request-status.js';
import type { CliContext } from '../cli-context.js';
import { formatJobsTable, jobRow } from '../format.js';
import { parsePositiveInt } from '../parse.js';

/** How many jobs `list` shows without `--limit`. */
export const DEFAULT_LIST_LIMIT = 50;

export interface ListFlags {
  queue?: string;
  state?: JobState;
  limit?: number;
  json?: boolean;
}

/**
 * `request-queue list [--queue Q] [--state S] [--limit N] [--json]`: stored jobs (waiting,
 * delayed, running, failed) with their plain fields; never a sealed part.
 */
export async function listJobs(ctx: CliContext, flags: ListFlags): Promise<void> {
  const { runtime } = await ctx.connect();
  const jobs = await runtime.store.listJobs({
    ...(flags.queue === undefined ? {} : { queue: flags.queue }),
    ...(flags.state === undefined ? {} : { state: flags.state }),
    limit: flags.limit ?? DEFAULT_LIST_LIMIT,
  });
  if (flags.json) {
    ctx.out(JSON.stringify(jobs.map(jobRow), null, 2));
    return;
  }
  if (jobs.length === 0) {
    ctx.out('No jobs.');
    return;
  }
  ctx.out(formatJobsTable(jobs));
}

export function registerList(program: Command, ctx: CliContext): void {
  program
    .command('list')
    .description(
      'list stored jobs (waiting, delayed, running, failed) without their secrets; filter with --queue and --state',
    )
    .option('--queue <name>', 'only the jobs of this queue')
    .addOption(new Option('--state <state>', 'only jobs in this state').choices(JOB_STATES))
    .option('--limit <n>', `show at most this many [${DEFAULT_LIST_LIMIT}]`, parsePositiveInt)
    .option('--json', 'print them as JSON, for scripts')
    .action((flags: ListFlags) => listJobs(ctx, flags));
}
