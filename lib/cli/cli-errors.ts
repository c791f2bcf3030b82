/** Exit codes of the `request-queue` command. */
export const ExitCode = {
  /** Done. */
  Ok: 0,
  /** The command ran but could not do everything asked (an unknown failed-job id). */
  Failure: 1,
  /** Bad command line: unknown command or flag, a bad value. */
  Usage: 2,
  /** The store (Redis or the database) cannot be reached. */
  Unavailable: 3,
  /** The configuration (environment variables) cannot work. */
  Config: 4,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error a command reports as one line on stderr, with the exit code to end with. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
  ) {
    super(message);
  }
}
