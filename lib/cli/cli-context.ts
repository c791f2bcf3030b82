import { requestQueueOptionsFromEnv } from '../config/options-from-env.js';
import { resolveOptions } from '../request-queue.options.js';
import { RequestQueueRuntime } from '../runtime.js';
import { createStore } from '../store/create-store.js';

/** What the commands work on: a runtime (options + store), and how to let it go. */
export interface CliConnection {
  runtime: RequestQueueRuntime;
  /** Closes what the connection opened (for a runtime borrowed from a Nest app: closes the app). */
  close(): Promise<void>;
}

/** Where `work` hears SIGTERM and SIGINT (the process, or a stand-in in tests). */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  off(signal: NodeJS.Signals, listener: () => void): unknown;
}

/** How `runRequestQueueCli` reaches the store and the terminal. Every field has a default. */
export interface RequestQueueCliOptions {
  /** Environment to read the options from, as the sample app does (SPEC §7) [process.env]. */
  env?: NodeJS.ProcessEnv;
  /**
   * Opens the runtime the commands use, instead of one built from `env`. A Nest app passes
   * one from its own module, so the commands use its options (and its event listeners):
   * `connect: async () => { const app = await NestFactory.createApplicationContext(AppModule);
   * return { runtime: app.get(RequestQueueRuntime), close: () => app.close() }; }`.
   */
  connect?: () => Promise<CliConnection>;
  /** Where normal output goes [process.stdout]. */
  stdout?: (text: string) => void;
  /** Where errors and warnings go [process.stderr]. */
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
  /** The runtime; opened on first use (so `--help` and usage errors never touch the store) and checked with `ping()`. */
  connect(): Promise<CliConnection>;
  signals: SignalSource;
  /** The exit code an action sets when it does not end with the default (0). */
  exitCode?: number;
}

/**
 * Builds a runtime from environment variables, the same ones the sample app reads. On the
 * embedded SQLite database it creates the tables when they are missing, as the sample app
 * does, so that it works with no setup; a server database is migrated by the operator.
 */
export async function connectFromEnv(env: NodeJS.ProcessEnv): Promise<CliConnection> {
  const fromEnv = requestQueueOptionsFromEnv(env);
  if (fromEnv.driver === 'database' && fromEnv.database?.url?.startsWith('sqlite:')) {
    fromEnv.database = { ...fromEnv.database, migrationsRun: true };
  }
  const options = resolveOptions(fromEnv, env);
  const store = await createStore(options);
  const runtime = new RequestQueueRuntime(options, store);
  return { runtime, close: () => runtime.close() };
}
