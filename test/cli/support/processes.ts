import { spawn, type ChildProcess } from 'node:child_process';

/** A spawned node process whose output is collected line by line. */
export class Spawned {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private listeners: (() => void)[] = [];

  constructor(script: string, args: readonly string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, [script, ...args], {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (into: string[]) => {
      let rest = '';
      return (chunk: Buffer) => {
        const lines = (rest + chunk.toString('utf8')).split('\n');
        rest = lines.pop()!;
        into.push(...lines);
        this.listeners.forEach((l) => l());
      };
    };
    this.child.stdout!.on('data', collect(this.stdout));
    this.child.stderr!.on('data', collect(this.stderr));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get output(): string {
    return [...this.stdout, ...this.stderr].join('\n');
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Resolves once a stdout or stderr line matches; rejects after `timeoutMs` or if the process exits first. */
  async waitForLine(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => (exited = true));
    for (;;) {
      const line = [...this.stdout, ...this.stderr].find((l) => pattern.test(l));
      if (line !== undefined) return line;
      if (exited) throw new Error(`process exited before printing ${pattern}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`no line matched ${pattern} in ${timeoutMs} ms:\n${this.output}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, 100);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.listeners.push(done);
      });
      this.listeners = [];
    }
  }

  /** Waits for the exit (killing the process after `timeoutMs`, so a test never leaves one behind). */
  async exit(timeoutMs = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Runs a command to its end and resolves to its exit code and output. */
export async function runToEnd(
  script: string,
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 20_000,
) {
  const p = new Spawned(script, args, env);
  const { code } = await p.exit(timeoutMs);
  return { code, stdout: p.stdout.join('\n'), stderr: p.stderr.join('\n') };
}
