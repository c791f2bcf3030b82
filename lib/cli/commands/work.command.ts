import type { Command } from 'commander';
import { deferred } from '../../core/async.js';
import { gracePeriod } from '../../core/policies.js';
import { DEVELOPMENT_SECRET } from '../../core/secret-keys.js';
import type { ResolvedOptions } from '../../request-queue.options.js';
import { describeRecovery, summarizeJob, formatDuration } from '../../worker/job-report.js';
import type { WorkerOptions, WorkerStopReason } from '../../worker/worker.js';
import { ExitCode } from '../cli-errors.js';
import type { CliContext } from '../cli-context.js';
import { formatJobLine, localTimestamp } from '../format.js';
import { parsePositiveInt, parseQueueList, parseSeconds } from '../parse.js';

/** `work` flags, times already in ms. */
export interface WorkFlags {
  queue?: string[];
  concurrency?: number;
  once?: boolean;
  stopWhenEmpty?: boolean;
  sleep?: number;
  tries?: number;
  timeout?: number;
  maxJobs?: number;
  maxTime?: number;
}

const STOP_REASONS: Record<WorkerStopReason, string> = {
  stopped: 'signal',
  restart: 'restart signal',
  'max-jobs': 'job limit reached',
  'max-time': 'time limit reached',
  empty: 'queues empty',
};

/** What `work` flags mean for the worker. */
export function workerOptionsFrom(
  flags: WorkFlags,
  options: ResolvedOptions,
): Partial<WorkerOptions> & { gracePeriod: number } {
  // Long enough for the longest attempt in hand (a replay, or a callback delivery) to end:
  // the module's grace period, or, with --timeout, the one that timeout gets by default.
  const grace =
    flags.timeout === undefined
      ? gracePeriod(options.timeout, options.callback.timeout, options.worker.gracePeriod)
      : gracePeriod(flags.timeout, options.callback.timeout);
  return {
    ...(flags.queue && { queues: flags.queue }),
    ...(flags.concurrency && { concurrency: flags.concurrency }),
    maxJobs: flags.once ? 1 : flags.maxJobs,
    stopWhenEmpty: flags.stopWhenEmpty ?? false,
    sleep: flags.sleep,
    maxTime: flags.maxTime,
    tries: flags.tries,
    timeout: flags.timeout,
    gracePeriod: grace,
  };
}

/**
 * `request-queue work` (Laravel's `queue:work`): runs jobs until a signal, a `restart`, or
 * a limit, printing one line per job. SIGTERM or SIGINT stop it gracefully: no new jobs,
 * the jobs in hand finish (within the grace period), connections close, exit 0. A second
 * signal exits at once, leaving the jobs in hand to their lease (exit 1).
 */
export async function work(ctx: CliContext, flags: WorkFlags): Promise<void> {
  const { runtime } = await ctx.connect();
  const options = workerOptionsFrom(flags, runtime.options);
  if (runtime.options.secret === DEVELOPMENT_SECRET) {
    ctx.err('Warning: REQUEST_QUEUE_SECRET is not set; using the insecure development key (it must match the API).');
  }
  const worker = runtime.createWorker(options, {
    onJob: (report) => ctx.out(formatJobLine(summarizeJob(report), report.startedAt)),
    onStopping: (reason) =>
      ctx.out(
        `${localTimestamp(new Date())} Stopping (${STOP_REASONS[reason]}): finishing the jobs in hand, up to ${formatDuration(options.gracePeriod)}.`,
      ),
    onError: (err) => ctx.err(`${localTimestamp(new Date())} Store error: ${err.message}`),
    onRecovered: (job) => ctx.err(`${localTimestamp(new Date())} Warning: ${describeRecovery(job)}`),
  });

  const force = deferred<'forced'>();
  let signalled = false;
  const onSignal = () => {
    if (!signalled) {
      signalled = true;
      void worker.stop('stopped');
    } else {
      ctx.err('Stopping now: the jobs in hand are left to their lease and will run again.');
      force.resolve('forced');
    }
  };
  ctx.signals.on('SIGTERM', onSignal);
  ctx.signals.on('SIGINT', onSignal);
  try {
    await worker.start();
    const queues = worker.options.queues.join(', ');
    ctx.out(
      `${localTimestamp(new Date())} Processing jobs from [${queues}] (concurrency ${worker.options.concurrency}).`,
    );
    const end = await Promise.race([worker.stopped, force.promise]);
    if (end === 'forced') {
      ctx.exitCode = ExitCode.Failure;
      return;
    }
    ctx.out(`${localTimestamp(new Date())} Worker stopped (${STOP_REASONS[end]}).`);
  } finally {
    ctx.signals.off('SIGTERM', onSignal);
    ctx.signals.off('SIGINT', onSignal);
  }
}

export function registerWork(program: Command, ctx: CliContext): void {
  program
    .command('work')
    .description('take jobs from the queues and run them, printing one line per job, until stopped')
    .option(
      '--queue <names>',
      'queues to take jobs from, highest priority first (high,default) [REQUEST_QUEUE_QUEUE]',
      parseQueueList,
    )
    .option('--concurrency <n>', 'jobs run at once [5]', parsePositiveInt)
    .option('--once', 'run a single job, then exit')
    .option('--stop-when-empty', 'exit once the queues are empty')
    .option('--sleep <seconds>', 'how long to wait before looking again when the queues are empty [1]', parseSeconds)
    .option('--tries <n>', 'replay attempts per request, over what it was queued with', parsePositiveInt)
    .option('--timeout <seconds>', 'timeout of one replay attempt, over what it was queued with', parseSeconds)
    .option('--max-jobs <n>', 'exit after this many jobs', parsePositiveInt)
    .option('--max-time <seconds>', 'exit after running this long', parseSeconds)
    .action((flags: WorkFlags) => work(ctx, flags));
}
