/**
 * Adoption: the library as a new user meets it. `npm pack` of this repository is installed,
 * with the driver's packages, into two apps exactly as the Nest CLI generates them
 * (test/consumer/fixtures: Nest 11 CommonJS + Jest, Nest 12 ESM + Vitest), plus the files a
 * user adds (test/consumer/app-files: for the Nest 11 app, the README's own five files).
 * Then, with real processes:
 *
 * - the app's own test setups pass untouched with the module imported (`npm test` — with
 *   `nest g controller`'s spec of the queueable controller — and `npm run test:e2e`);
 * - `npm run build`; (database driver) before `request-queue migrate` the worker and the
 *   command stop naming the fix, after it the tables exist;
 * - the API (`node dist/main.js`) answers 202 (409 for a reused id, the handler's answer
 *   without callback parameters); the user's worker (`node dist/worker.js`) replays a JSON and
 *   a form body intact and the callbacks verify with `standardwebhooks`; SIGTERM ends it with 0;
 *   nothing logs a warning;
 * - `npx request-queue --config dist/request-queue.config.js work --stop-when-empty` and
 *   `nest start --entryFile worker` do the same from the app's configuration; `failed --json`
 *   lists nothing; without a configuration the command exits 4 naming `--config`;
 * - without the driver's packages the API stops at startup naming the `npm install`.
 *
 * Installs are cached in var/consumer/ (keyed by each fixture's lock), so a warm run only
 * installs the tarball and the driver packages (about a minute in all). Skips, with the reason
 * printed, only when npm cannot reach its registry.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallbackReceiver, type ReceivedCallback } from '../support/callback-receiver.js';
import { freePort } from '../support/free-port.js';
import {
  APP_FILES,
  expectSuccess,
  packLibrary,
  prepareApp,
  readmeConsumerFiles,
  registryProblem,
  timed,
  timings,
  userEnv,
  type Fixture,
  type PackedLibrary,
  type PreparedApp,
} from './support/apps.js';
import { Started, stopAll, tail } from './support/processes.js';
import { waitFor } from '../support/wait-for.js';
import { postgresDatabase, redisPrefix, type AppStore } from './support/stores.js';

const MINUTE = 60_000;
/** `CONSUMER_KEEP=1`: keep each app's temporary folder and write its processes' output there. */
const KEEP = process.env.CONSUMER_KEEP === '1';
const TOKEN = `consumer-callback-token-${randomBytes(6).toString('hex')}`;
const SECRET = `consumer-secret-${randomBytes(12).toString('hex')}`;

/** The lines of Nest's logger output at WARN or ERROR level. */
function warnings(output: string): string[] {
  // eslint-disable-next-line no-control-regex
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  return plain.split('\n').filter((line) => /^\[Nest\] \d+ .*?\s(WARN|ERROR)\s/.test(line));
}

interface AppCase {
  fixture: Fixture;
  title: string;
  /** A store of the test's own, reached through the environment the app's configuration reads. */
  store(): Promise<AppStore>;
  /** `request-queue migrate` before the first start (database driver). */
  migrate: boolean;
  /** The variable the app's configuration takes `callback.allowedHosts` from. */
  allowedHostsVariable: string;
  /** The queueable controller's path, and its spec file (as `nest g controller` generates it). */
  route: string;
  spec: string;
  /** The user's spec of the queued path with `RequestQueueTestingModule` (no store), run by `npm test`. */
  testingSpec: string;
  /** The driver's packages, and what the API must say when they are not installed. */
  driverPackages: string[];
  installHint: RegExp;
  /** Whether the app's files are the README's `<!-- consumer-file: … -->` blocks. */
  readmeFiles: boolean;
  /** What the handler answers for a request: what the callback's `response.body` must hold. */
  answer(req: {
    id: string;
    method: string;
    body: Record<string, unknown>;
    query?: Record<string, string>;
    /** The bytes the handler should see (the README's "Bodies" section), where the controller shows them. */
    raw?: string;
  }): object;
}

const CASES: AppCase[] = [
  {
    // The README's five files as they stand (user.controller.ts answers `{ id, ...body }`),
    // its env-mapped configuration included.
    title: "Nest 11, CommonJS, Jest — the README's files, redis driver, Express",
    fixture: { name: 'nest11-cjs', install: 'ci', packages: ['bull@^4', 'ioredis@^5'] },
    store: redisPrefix,
    migrate: false,
    allowedHostsVariable: 'REQUEST_QUEUE_CALLBACK_ALLOWED_HOSTS',
    route: 'user',
    spec: 'user.controller.spec.ts',
    testingSpec: 'user.queue.spec.ts', // the README's "Testing your app" file
    driverPackages: ['bull', 'ioredis'],
    installHint: /npm install bull ioredis/,
    readmeFiles: true,
    answer: ({ id, body }) => ({ id, ...body }),
  },
  {
    // Options written out in the configuration file; echo.controller.ts answers with the
    // method, content type, query and body it received.
    title: 'Nest 12, ESM, Vitest — explicit options, database driver on PostgreSQL, Fastify',
    fixture: {
      name: 'nest12-esm',
      install: 'install',
      packages: ['@nestjs/platform-fastify@^12', 'typeorm@^1', 'pg@^8'],
    },
    store: postgresDatabase,
    migrate: true,
    allowedHostsVariable: 'CALLBACK_ALLOWED_HOSTS',
    route: 'echo',
    spec: 'echo.controller.spec.ts',
    testingSpec: 'echo.queue.spec.ts',
    // typeorm installed, its PostgreSQL client forgotten (with both missing, the library names
    // typeorm alone: a second start then asks for pg).
    driverPackages: ['pg'],
    installHint: /npm install pg\b/,
    readmeFiles: false,
    answer: ({ id, method, body, query, raw }) => ({
      id,
      method,
      body,
      ...(query && { query }),
      ...(raw !== undefined && { raw }),
    }),
  },
];

const offline = await registryProblem();
if (offline) console.warn(`[consumer] SKIPPED: ${offline}`);

describe.skipIf(offline !== null)('consumer: the packed library in freshly generated Nest apps', () => {
  let packDir = '';
  let packed: PackedLibrary | undefined;
  let packError: unknown;

  beforeAll(async () => {
    packDir = await mkdtemp(join(tmpdir(), 'rq-consumer-pack-'));
    try {
      packed = await packLibrary(packDir);
    } catch (err) {
      packError = err;
    }
  }, 10 * MINUTE);

  afterAll(async () => {
    await stopAll();
    if (packDir) await rm(packDir, { recursive: true, force: true });
    console.log(
      `[consumer] timings:\n${timings.map((t) => `  ${(t.ms / 1000).toFixed(1).padStart(6)} s  ${t.step}`).join('\n')}`,
    );
    if (packed?.notes.length) console.warn(`[consumer] notes:\n  ${packed.notes.join('\n  ')}`);
  });

  function tarball(): string {
    if (!packed) throw new Error(`npm pack failed: ${(packError as Error)?.message ?? 'unknown'}`);
    return packed.tarball;
  }

  it('npm pack: the tarball holds every file package.json points at (main, types, exports, bin)', () => {
    tarball();
    expect(packed!.missing, `missing from the tarball; it holds:\n${packed!.files.join('\n')}`).toEqual([]);
  });

  describe.each(CASES)('$title', (c) => {
    const name = c.fixture.name;
    let app: PreparedApp | undefined;
    let store: AppStore | undefined;
    let receiver: CallbackReceiver | undefined;
    let api: Started | undefined;
    let port = 0;
    let built = false;

    /** The environment of the app's processes: production, its secret, its store, the receiver allowed. */
    const appEnv = (extra: Record<string, string> = {}) =>
      userEnv({
        NODE_ENV: 'production',
        PORT: String(port),
        REQUEST_QUEUE_SECRET: SECRET,
        [c.allowedHostsVariable]: `127.0.0.1:${receiver!.port}`,
        ...store!.env,
        ...extra,
      });

    const keepLog = async (label: string, output: string) => {
      if (KEEP && app) await writeFile(join(app.dir, '..', `${label}.log`), output);
    };

    const needApp = (): string => {
      if (!app) throw new Error(`${name} was not installed (see the install test)`);
      return app.dir;
    };
    const needBuild = (): string => {
      const dir = needApp();
      if (!built) throw new Error(`${name} was not built (see the build test)`);
      return dir;
    };

    beforeAll(async () => {
      store = await c.store();
      receiver = await new CallbackReceiver(TOKEN).start();
      port = await freePort();
    }, MINUTE);

    afterAll(async () => {
      if (api) {
        const end = await api.stop(15_000);
        await keepLog('api', end.output);
        if (end.code !== 0 && end.signal !== 'SIGTERM') console.warn(`[consumer] ${name} API:\n${tail(end.output)}`);
      }
      await receiver?.close();
      await store?.remove();
      if (KEEP && app) console.log(`[consumer] kept ${app.dir}`);
      else await app?.remove();
    }, 2 * MINUTE);

    if (c.readmeFiles) {
      it("the files it adds are the README's `<!-- consumer-file: … -->` blocks, word for word", async () => {
        const blocks = await readmeConsumerFiles();
        expect(blocks.size, 'consumer-file blocks in README.md').toBeGreaterThan(0);
        for (const [path, text] of blocks) {
          const file = join(APP_FILES, name, path);
          // CONSUMER_SYNC_README=1 copies the README's blocks here (then review the diff).
          if (process.env.CONSUMER_SYNC_README === '1') await writeFile(file, text);
          const ours = existsSync(file) ? await readFile(file, 'utf8') : '(missing)';
          expect(ours, `test/consumer/app-files/${name}/${path} differs from README.md's block`).toBe(text);
        }
      });
    }

    it(
      'installs: the locked generated dependencies, the packed library and the driver packages',
      async () => {
        app = await prepareApp(c.fixture, tarball());
        console.log(
          `[consumer] ${name}: ${Object.entries(app.versions)
            .map(([p, v]) => `${p}@${v}`)
            .join(', ')}`,
        );
        expect(existsSync(join(app.dir, 'node_modules/nestjs-request-queue/package.json'))).toBe(true);
      },
      20 * MINUTE,
    );

    it(
      'builds with its own `npm run build`',
      async () => {
        const dir = needApp();
        expectSuccess(
          'npm run build',
          await timed(`${name}: npm run build`, 'npm', ['run', 'build'], {
            cwd: dir,
            env: userEnv(),
            timeoutMs: 5 * MINUTE,
          }),
        );
        for (const file of ['main.js', 'worker.js', 'request-queue.config.js']) {
          expect(existsSync(join(dir, 'dist', file)), `dist/${file}`).toBe(true);
        }
        built = true;
      },
      6 * MINUTE,
    );

    if (c.migrate) {
      it(
        'before `migrate`, the worker stops at startup naming the fix (exit 4), and the command does too',
        async () => {
          const dir = needBuild();
          const worker = await timed(
            `${name}: node dist/worker.js without tables`,
            process.execPath,
            ['dist/worker.js'],
            {
              cwd: dir,
              env: appEnv(),
              timeoutMs: MINUTE,
            },
          );
          const work = await timed(
            `${name}: npx request-queue work without tables`,
            'npx',
            ['request-queue', '--config', 'dist/request-queue.config.js', 'work', '--stop-when-empty'],
            { cwd: dir, env: appEnv(), timeoutMs: MINUTE },
          );
          expect.soft(worker.output, 'the worker names the fix').toMatch(/request-queue --config .* migrate/);
          expect.soft(work.output, 'the command names the fix').toMatch(/request-queue --config .* migrate/);
          // 4 is the configuration-error exit of the command and of runRequestQueueWorker().
          expect.soft(work.code, `request-queue work:\n${tail(work.output)}`).toBe(4);
          expect.soft(worker.code, `node dist/worker.js:\n${tail(worker.output)}`).toBe(4);
        },
        3 * MINUTE,
      );

      it(
        '`request-queue --config dist/request-queue.config.js migrate` creates the tables',
        async () => {
          const dir = needBuild();
          expectSuccess(
            'request-queue migrate',
            await timed(
              `${name}: npx request-queue migrate`,
              'npx',
              ['request-queue', '--config', 'dist/request-queue.config.js', 'migrate'],
              { cwd: dir, env: appEnv(), timeoutMs: 2 * MINUTE },
            ),
          );
          expect(await store!.tables()).toEqual(expect.arrayContaining(['jobs', 'failed_jobs']));
        },
        3 * MINUTE,
      );
    }

    it(
      "its own unit tests pass (`npm test`): the generated spec and `nest g controller`'s spec of the queueable controller",
      async () => {
        const dir = needApp();
        const r = await timed(`${name}: npm test`, 'npm', ['test'], {
          cwd: dir,
          env: userEnv({ CI: 'true' }),
          timeoutMs: 5 * MINUTE,
        });
        expectSuccess('npm test', r);
        // The generated spec and the user's spec of the queueable controller both ran.
        expect(r.output).toMatch(/app\.controller\.spec\.ts/);
        expect(r.output).toContain(c.spec);
        // The spec that uses the testing module (in-memory store, recorded callbacks) ran too.
        expect(r.output).toContain(c.testingSpec);
      },
      6 * MINUTE,
    );

    it(
      'its own e2e tests pass, untouched, booting AppModule with the module (`npm run test:e2e`)',
      async () => {
        const dir = needApp();
        const r = await timed(`${name}: npm run test:e2e`, 'npm', ['run', 'test:e2e'], {
          cwd: dir,
          env: userEnv({ CI: 'true', ...store!.env }),
          timeoutMs: 5 * MINUTE,
        });
        expectSuccess('npm run test:e2e', r);
      },
      6 * MINUTE,
    );

    const jsonBody = {
      name: 'Zoë 🚀 日本語',
      count: 42,
      ratio: 0.125,
      big: 9007199254740991,
      negative: -7,
      flag: true,
      nothing: null,
      nested: { list: [1, 2.5, 'x', { deep: 'é' }] },
    };
    const formFields = { name: 'Grâce Hopper', note: 'a&b=c + d', count: '42' };

    const expectCallback = (cb: ReceivedCallback | undefined, answer: object) => {
      expect(cb, 'a callback').toBeDefined();
      expect(cb!.verified, `standardwebhooks verification of ${cb!.raw}`).toBe(true);
      expect(cb!.headers['webhook-id']).toBeTruthy();
      expect(cb!.body.status, cb!.raw).toBe('completed');
      expect(cb!.body.response?.status, cb!.raw).toBe(200);
      expect(cb!.body.response?.body).toEqual(expect.objectContaining(answer));
    };
    const url = (path: string) => `http://127.0.0.1:${port}/${c.route}/${path}`;

    it(
      "answers 202 (409 for a reused id, its own answer without callback parameters); the user's worker replays JSON and form bodies intact; callbacks verify; SIGTERM exits 0",
      async () => {
        const dir = needBuild();
        const r = receiver!;
        api = new Started(`${name} API`, process.execPath, ['dist/main.js'], { cwd: dir, env: appEnv() });
        const started = Date.now();
        await waitFor(
          'the API to answer GET /',
          async () => {
            const end = await Promise.race([
              api!.exited,
              new Promise<undefined>((res) => setTimeout(() => res(undefined), 0)),
            ]);
            if (end) throw new Error(`the API exited (${end.code ?? end.signal}):\n${tail(end.output)}`);
            const res = await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined);
            return res?.status === 200 ? true : undefined;
          },
          { timeoutMs: 30_000, intervalMs: 200 },
        ).catch((err: Error) => {
          throw new Error(`${err.message}\n${tail(api!.output)}`);
        });
        timings.push({ step: `${name}: API up (node dist/main.js)`, ms: Date.now() - started });

        const jsonId = `consumer-json-${randomUUID()}`;
        const put = await fetch(url('1'), {
          method: 'PUT',
          headers: { 'content-type': 'application/json', 'x-correlation-id': jsonId },
          body: JSON.stringify({ ...jsonBody, _callback_url: r.url, _callback_token: TOKEN }),
        });
        const putText = await put.text();
        expect(put.status, putText).toBe(202);
        expect(put.headers.get('x-correlation-id')).toBe(jsonId);
        expect(JSON.parse(putText)).toEqual(expect.objectContaining({ correlationId: jsonId, status: 'queued' }));

        const form = new URLSearchParams({ ...formFields, _callback_url: r.url, _callback_token: TOKEN }).toString();
        const patch = await fetch(url('2'), {
          method: 'PATCH',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: form,
        });
        const patchText = await patch.text();
        expect(patch.status, patchText).toBe(202);
        const formId = patch.headers.get('x-correlation-id');
        expect(formId).toBeTruthy();
        expect(JSON.parse(patchText)).toEqual(expect.objectContaining({ correlationId: formId, status: 'queued' }));

        // The README's other two answers: the same id again is 409; no callback parameters, synchronous.
        const again = await fetch(url('1'), {
          method: 'PUT',
          headers: { 'content-type': 'application/json', 'x-correlation-id': jsonId },
          body: JSON.stringify({ name: 'again', _callback_url: r.url, _callback_token: TOKEN }),
        });
        expect(again.status, await again.text()).toBe(409);
        const sync = await fetch(url('9'), {
          method: 'PATCH',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'Sync' }),
        });
        const syncText = await sync.text();
        expect(sync.status, syncText).toBe(200);
        expect(sync.headers.get('x-correlation-id')).toBeTruthy();
        expect(JSON.parse(syncText)).toEqual(
          expect.objectContaining(
            c.answer({ id: '9', method: 'PATCH', body: { name: 'Sync' }, raw: '{"name":"Sync"}' }),
          ),
        );

        // The API alone does not consume jobs.
        await new Promise((res) => setTimeout(res, 500));
        expect(r.calls).toHaveLength(0);

        const worker = new Started(`${name} worker`, process.execPath, ['dist/worker.js'], { cwd: dir, env: appEnv() });
        const workerStarted = Date.now();
        try {
          await r.waitFor(2, 60_000).catch((err: Error) => {
            throw new Error(
              `${err.message}; worker output:\n${tail(worker.output)}\nAPI output:\n${tail(api!.output)}`,
            );
          });
          timings.push({ step: `${name}: worker start to 2 callbacks`, ms: Date.now() - workerStarted });
          expectCallback(
            r.for(jsonId)[0],
            c.answer({ id: '1', method: 'PUT', body: jsonBody, raw: JSON.stringify(jsonBody) }),
          );
          const formCallback = r.for(formId!)[0];
          expectCallback(
            formCallback,
            c.answer({
              id: '2',
              method: 'PATCH',
              body: formFields,
              raw: new URLSearchParams(formFields).toString(),
            }),
          );
          const contentType = (formCallback!.body.response!.body as { contentType?: string }).contentType;
          if (contentType !== undefined) expect(contentType).toMatch(/^application\/x-www-form-urlencoded/);
        } finally {
          worker.signal('SIGTERM');
          const end = await worker.exit(30_000);
          await keepLog('worker', end.output);
          expect(end.timedOut, `the worker did not stop within 30 s of SIGTERM:\n${tail(end.output)}`).toBe(false);
          expect(end.code, `worker exit after SIGTERM:\n${tail(end.output)}`).toBe(0);
        }
        // Set up as documented, nothing deserves a warning.
        expect(warnings(api.output), 'warnings or errors logged by the API').toEqual([]);
        expect(warnings(worker.output), 'warnings or errors logged by the worker').toEqual([]);
      },
      3 * MINUTE,
    );

    it(
      "`request-queue --config dist/request-queue.config.js work --stop-when-empty` runs a job with the app's configuration",
      async () => {
        const dir = needBuild();
        if (!api) throw new Error('the API is not running (see the previous test)');
        const r = receiver!;
        const before = r.calls.length;
        // Callback parameters in the query this time: the README's byte-for-byte JSON case.
        const sentAsIs = '{"name": "Query",  "price": 1.50}';
        const query = new URLSearchParams({ keep: 'yes', _callback_url: r.url, _callback_token: TOKEN });
        const queued = await fetch(`${url('3')}?${query.toString()}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: sentAsIs,
        });
        const queuedText = await queued.text();
        expect(queued.status, queuedText).toBe(202);
        const id = queued.headers.get('x-correlation-id')!;

        const work = await timed(
          `${name}: npx request-queue work --stop-when-empty`,
          'npx',
          ['request-queue', '--config', 'dist/request-queue.config.js', 'work', '--stop-when-empty'],
          { cwd: dir, env: appEnv(), timeoutMs: 2 * MINUTE },
        );
        await keepLog('request-queue-work', work.output);
        expectSuccess('request-queue work --stop-when-empty', work);
        await r.waitFor(before + 1, 15_000);
        expectCallback(
          r.for(id)[0],
          c.answer({
            id: '3',
            method: 'PUT',
            body: { name: 'Query', price: 1.5 },
            query: { keep: 'yes' },
            raw: sentAsIs,
          }),
        );

        const failed = expectSuccess(
          'request-queue failed --json',
          await timed(
            `${name}: npx request-queue failed --json`,
            'npx',
            ['request-queue', '--config', 'dist/request-queue.config.js', 'failed', '--json'],
            { cwd: dir, env: appEnv(), timeoutMs: MINUTE },
          ),
        );
        expect(JSON.parse(failed.stdout), failed.output).toEqual([]);
      },
      4 * MINUTE,
    );

    it(
      "the README's development worker, `nest start --entryFile worker`, runs a job",
      async () => {
        const dir = needBuild();
        if (!api) throw new Error('the API is not running (see the previous tests)');
        const r = receiver!;
        const before = r.calls.length;
        const queued = await fetch(url('4'), {
          method: 'PATCH',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'Dev', _callback_url: r.url, _callback_token: TOKEN }),
        });
        expect(queued.status, await queued.text()).toBe(202);
        const id = queued.headers.get('x-correlation-id')!;
        // Not production: `nest start` is the development command.
        const dev = new Started(
          `${name} nest start --entryFile worker`,
          'npx',
          ['nest', 'start', '--entryFile', 'worker'],
          {
            cwd: dir,
            env: appEnv({ NODE_ENV: 'development' }),
          },
        );
        const startedAt = Date.now();
        try {
          await r.waitFor(before + 1, 90_000).catch((err: Error) => {
            throw new Error(`${err.message}; nest start output:\n${tail(dev.output)}`);
          });
          timings.push({ step: `${name}: nest start --entryFile worker to the callback`, ms: Date.now() - startedAt });
          expectCallback(
            r.for(id)[0],
            c.answer({ id: '4', method: 'PATCH', body: { name: 'Dev' }, raw: '{"name":"Dev"}' }),
          );
        } finally {
          const end = await dev.stop(30_000);
          await keepLog('nest-start-worker', end.output);
          expect(end.timedOut, `nest start did not stop within 30 s of SIGTERM:\n${tail(end.output)}`).toBe(false);
        }
      },
      3 * MINUTE,
    );

    it(
      '`request-queue work` without --config or REQUEST_QUEUE_DRIVER exits 4 naming --config',
      async () => {
        const dir = needApp();
        const r = await timed(`${name}: npx request-queue work (no configuration)`, 'npx', ['request-queue', 'work'], {
          cwd: dir,
          env: userEnv(),
          timeoutMs: MINUTE,
        });
        expect(r.code, tail(r.output)).toBe(4);
        expect(r.output).toMatch(/--config/);
      },
      2 * MINUTE,
    );

    it(
      "without the driver's packages, the API stops at startup naming the install command",
      async () => {
        const dir = needBuild();
        const modules = join(dir, 'node_modules');
        const hidden: string[] = [];
        try {
          // As if the user had skipped the README's `npm install` of the driver's packages.
          for (const pkg of c.driverPackages) {
            await rename(join(modules, pkg), join(modules, `.hidden-${pkg}`));
            hidden.push(pkg);
          }
          const r = await timed(
            `${name}: node dist/main.js without ${c.driverPackages.join(' ')}`,
            process.execPath,
            ['dist/main.js'],
            { cwd: dir, env: appEnv({ PORT: String(await freePort()) }), timeoutMs: MINUTE },
          );
          expect(r.timedOut, `the API did not stop:\n${tail(r.output)}`).toBe(false);
          expect(r.code, tail(r.output)).not.toBe(0);
          expect(r.output).toMatch(c.installHint);
        } finally {
          for (const pkg of hidden) await rename(join(modules, `.hidden-${pkg}`), join(modules, pkg));
        }
      },
      2 * MINUTE,
    );
  });
});
