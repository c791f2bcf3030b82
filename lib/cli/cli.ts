import { Command, CommanderError } from 'commander';
import { withTimeout } from '../core/async.js';
import { RequestQueueConfigError, StoreUnavailableError } from '../core/errors.js';
import { CliError, ExitCode } from './cli-errors.js';
import { REQUEST_QUEUE_ENV } from '../config/options-from-env.js';
import {
  cliModuleOptions,
  connectWithOptions,
  type CliConnection,
  type CliContext,
  type ConnectRequest,
  type RequestQueueCliOptions,
} from './cli-context.js';
import { registerFailed } from './commands/failed.command.js';
import { registerFlush } from './commands/flush.command.js';
import { registerForget } from './commands/forget.command.js';
import { registerList } from './commands/list.command.js';
import { registerMigrate } from './commands/migrate.command.js';
import { registerRestart } from './commands/restart.command.js';
import { registerRetry } from './commands/retry.command.js';
import { registerStats } from './commands/stats.command.js';
import { registerStatus } from './commands/status.command.js';
import { registerWork } from './commands/work.command.js';

/** How long closing connections may take before the command gives up on them. */
const CLOSE_TIMEOUT_MS = 5000;

/** The environment variables, as `--help` lists them. */
function environmentHelp(): string {
  const width = Math.max(...REQUEST_QUEUE_ENV.map((v) => v.name.length));
  const lines = REQUEST_QUEUE_ENV.map((v) => `  ${v.name.padEnd(width)}  ${v.meaning} [${v.unset}]`);
  return [
    '',
    'Configuration: --config <file> loads the compiled module whose default export is your',
    'RequestQueueModule options (or a function returning them), the same options the API and its',
    'workers run with. Without --config the options come from these environment variables:',
    ...lines,
  ].join('\n');
}

/**
 * The `request-queue` command line, as a program to mount or extend: `work`, `failed`,
 * `retry`, `forget`, `flush`, `restart` (Laravel's `queue:*` commands), `status`, `list`,
 * `stats` (what is queued, and where one request is) and `migrate`.
 */
export function buildRequestQueueProgram(ctx: CliContext): Command {
  const program = new Command('request-queue')
    .description(
      'Run and operate the request queue (the queue:work, queue:failed, queue:retry, … of Laravel), ' +
        'and see what is queued (status, list, stats)',
    )
    .option(
      '-c, --config <file>',
      'compiled module exporting the RequestQueueModule options or a function returning them [REQUEST_QUEUE_CONFIG]',
    )
    .addHelpText('after', environmentHelp())
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.out(text.replace(/\n$/, '')),
      writeErr: (text) => ctx.err(text.replace(/\n$/, '')),
    })
    .showHelpAfterError('(add --help for usage)');
  registerWork(program, ctx);
  registerFailed(program, ctx);
  registerRetry(program, ctx);
  registerForget(program, ctx);
  registerFlush(program, ctx);
  registerRestart(program, ctx);
  registerStatus(program, ctx);
  registerList(program, ctx);
  registerStats(program, ctx);
  registerMigrate(program, ctx);
  return program;
}

/**
 * Runs one `request-queue` command line (`args` without `node` and the script) and resolves
 * to its exit code (see `ExitCode`). It never calls `process.exit`: the bin does that.
 */
export async function runRequestQueueCli(
  args: readonly string[],
  options: RequestQueueCliOptions = {},
): Promise<number> {
  const stdout = options.stdout ?? ((text: string) => process.stdout.write(text));
  const stderr = options.stderr ?? ((text: string) => process.stderr.write(text));
  const env = options.env ?? process.env;
  const open =
    options.connect ??
    (async (request: ConnectRequest) => {
      const config = program.opts<{ config?: string }>().config;
      return connectWithOptions(await cliModuleOptions(config, env, options.cwd), env, request);
    });
  let connection: Promise<CliConnection> | undefined;
  const ctx: CliContext = {
    out: (line) => stdout(`${line}\n`),
    err: (line) => stderr(`${line}\n`),
    signals: options.signals ?? process,
    connect: (request = {}) =>
      (connection ??= (async () => {
        let c: CliConnection;
        try {
          c = await open(request);
        } catch (err) {
          if (err instanceof RequestQueueConfigError || err instanceof StoreUnavailableError) throw err;
          // Opening a store fails for want of its server far more often than for anything else.
          throw new StoreUnavailableError((err as Error).message, { cause: err });
        }
        try {
          await c.runtime.store.ping();
        } catch (err) {
          await closeWithin(c);
          throw err;
        }
        return c;
      })()),
  };
  const program = buildRequestQueueProgram(ctx);
  if (args.length === 0) {
    ctx.err(program.helpInformation().replace(/\n$/, ''));
    return ExitCode.Usage;
  }
  try {
    await program.parseAsync([...args], { from: 'user' });
    return ctx.exitCode ?? ExitCode.Ok;
  } catch (err) {
    return report(ctx, err);
  } finally {
    if (connection) await connection.then(closeWithin, () => {});
  }
}

function report(ctx: CliContext, err: unknown): number {
  if (err instanceof CommanderError) {
    // commander printed its message already
    return ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(err.code)
      ? ExitCode.Ok
      : ExitCode.Usage;
  }
  if (err instanceof CliError) {
    ctx.err(err.message);
    return err.exitCode;
  }
  if (err instanceof StoreUnavailableError) {
    ctx.err(`Cannot reach the store: ${err.message}`);
    return ExitCode.Unavailable;
  }
  if (err instanceof RequestQueueConfigError) {
    ctx.err(`Configuration error: ${err.message}`);
    return ExitCode.Config;
  }
  const message = err instanceof Error ? err.message : String(err);
  ctx.err(`Error: ${message}`);
  if (/no such table|doesn't exist|does not exist/i.test(message)) {
    ctx.err("The request queue's tables are missing: run `request-queue --config <your config file> migrate` first.");
  }
  return ExitCode.Failure;
}

async function closeWithin(connection: CliConnection): Promise<void> {
  await withTimeout(
    connection.close().catch(() => {}),
    CLOSE_TIMEOUT_MS,
    () => {},
  );
}
