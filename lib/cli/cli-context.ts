import { loadConfigFile } from '../config/load-config-file.js';
import { requestQueueOptionsFromEnv } from '../config/options-from-env.js';
import { RequestQueueConfigError, resolveOptions, type RequestQueueModuleOptions } from '../request-queue.options.js';
import { RequestQueueRuntime } from '../runtime.js';
import { createStore } from '../store/create-store.js';
import { loadObservability } from '../observability/load-observability.js';

/** What the commands work on: a runtime (options + store), and how to let it go. */
export interface CliConnection {
  runtime: RequestQueueRuntime;
  /** Closes what the connection opened (for a runtime borrowed from a Nest app: closes the app). */
  close(): Promise<void>;
}

/** What a command needs of the connection beyond the store. */
export interface ConnectRequest {
  /** Apply the database driver's migrations while opening the store (`request-queue migrate`). */
  migrate?: boolean;
}

/** Where `work` hears SIGTERM and SIGINT (the process, or a stand-in in tests). */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  off(signal: NodeJS.Signals, listener: () => void): unknown;
}

/** How `runRequestQueueCli` reaches the store and the terminal. Every field has a default. */
export interface RequestQueueCliOptions {
  /** Environment: `REQUEST_QUEUE_CONFIG`, or the variables of `REQUEST_QUEUE_ENV` [process.env]. */
  env?: NodeJS.ProcessEnv;
  /** Folder a relative `--config` path is taken from [process.cwd()]. */
  cwd?: string;
  /**
   * Opens the runtime the commands use, instead of one built from `--config` or the
   * environment. A Nest app can pass one from its own module, so the commands use its
   * options (and its event listeners): see docs/operations.md ("your own command").
   */
  connect?: (request: ConnectRequest) => Promise<CliConnection>;
  /** Where normal output goes [process.stdout]. */
  stdout?: (text: string) => void;
  /** Where errors, warnings and logs go [process.stderr]. */
  stderr?: (text: string) => void;
  /** Where `work` listens for SIGTERM/SIGINT [process]. */
  signals?: SignalSource;
}

/** What each command gets. */
export interface CliContext {
  /** Prints one line on stdout. */
  out(line: string): void;
  /** Prints one line on stderr. */
  err(line: string): void;
  /**
   * The runtime; opened on first use (so `--help` and usage errors never touch the store)
   * and checked with `ping()`.
   */
  connect(request?: ConnectRequest): Promise<CliConnection>;
  signals: SignalSource;
  /** The exit code an action sets when it does not end with the default (0). */
  exitCode?: number;
}

/** What a command without any configuration says. */
export const NO_CONFIGURATION =
  'no configuration: pass --config <file> (the compiled module that exports your RequestQueueModule options, ' +
  'e.g. --config dist/request-queue.config.js), or set REQUEST_QUEUE_CONFIG, or set REQUEST_QUEUE_DRIVER ' +
  "('redis' or 'database') with REDIS_URL or DATABASE_URL (see request-queue --help)";

/**
 * The module options the command runs with: the configuration file (`--config`, else
 * `REQUEST_QUEUE_CONFIG`), else the environment variables. With neither, it refuses rather
 * than guess a store.
 */
export async function cliModuleOptions(
  config: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd: string = process.cwd(),
): Promise<RequestQueueModuleOptions> {
  const file = config ?? (env.REQUEST_QUEUE_CONFIG || undefined);
  if (file) return loadConfigFile(file, cwd);
  if (!env.REQUEST_QUEUE_DRIVER) throw new RequestQueueConfigError(NO_CONFIGURATION);
  return requestQueueOptionsFromEnv(env);
}

/** Builds a runtime over its own store from module options (the ones the app gives `forRoot()`). */
export async function connectWithOptions(
  given: RequestQueueModuleOptions,
  env: NodeJS.ProcessEnv,
  request: ConnectRequest = {},
): Promise<CliConnection> {
  const options = resolveOptions(request.migrate ? withMigrations(given) : given, env);
  const store = await createStore(options);
  const runtime = new RequestQueueRuntime(options, store, undefined, await loadObservability(options));
  return { runtime, close: () => runtime.close() };
}

/** Builds a runtime from the environment variables alone (see `REQUEST_QUEUE_ENV`). */
export async function connectFromEnv(env: NodeJS.ProcessEnv, request: ConnectRequest = {}): Promise<CliConnection> {
  return connectWithOptions(await cliModuleOptions(undefined, env), env, request);
}

/** The options with the database driver's migrations applied when the store opens. */
function withMigrations(options: RequestQueueModuleOptions): RequestQueueModuleOptions {
  if ((options.driver ?? 'redis') !== 'database') return options;
  if (options.database?.dataSource) {
    throw new RequestQueueConfigError(
      'database.dataSource is a DataSource of your app: add requestQueueMigrations (from nestjs-request-queue/migrations) ' +
        'to its migrations and run them with yours (npx typeorm migration:run -d <your data source file>)',
    );
  }
  return { ...options, database: { ...options.database, migrationsRun: true } };
}
