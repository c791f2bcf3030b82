import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildForTests } from '../cli/support/build.js';
import { deleteRedisPrefix } from '../support/redis.js';
import { storeMatrix } from '../support/stores.js';

/**
 * `prom-client` and `@opentelemetry/api` are optional peers: an app without them loads the
 * library, queues requests (the client's `traceparent` still travels with the job), and is
 * told which package to install only when it turns metrics on. Checked on the CommonJS
 * build (what the package ships) in a Node process where both packages cannot be resolved.
 */

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const HIDDEN = ['prom-client', '@opentelemetry/api'];

/** Preloaded with `--require`: resolving a hidden package fails as it does when it is not installed. */
const HIDE = `
const Module = require('node:module');
const hidden = ${JSON.stringify(HIDDEN)};
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (hidden.some((name) => request === name || request.startsWith(name + '/'))) {
    const err = new Error("Cannot find module '" + request + "'");
    err.code = 'MODULE_NOT_FOUND';
    throw err;
  }
  return resolve.call(this, request, ...rest);
};
`;

const SCRIPT = (lib: string) => `
const lib = require(${JSON.stringify(lib)});
const out = {};
async function main() {
  out.hidden = ${JSON.stringify(HIDDEN)}.map((name) => {
    try { require.resolve(name); return false; } catch { return true; }
  });
  const options = lib.resolveOptions({
    secret: 'optional-peers-secret',
    redis: { url: process.env.RQ_REDIS_URL, prefix: process.env.RQ_PREFIX },
  });
  const observability = await lib.loadObservability(options);
  out.metrics = observability.metrics === undefined;
  const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  out.carrier = observability.tracer.start('send', { queue: 'q', correlationId: 'c', method: 'PUT' }, { traceparent }).carrier;
  try {
    await lib.loadObservability(lib.resolveOptions({ metrics: {} }));
    out.metricsError = null;
  } catch (err) {
    out.metricsError = { name: err.name, message: err.message };
  }
  const store = await lib.createStore(options);
  const runtime = new lib.RequestQueueRuntime(options, store, undefined, observability);
  const decision = await runtime.gate.admit(
    {
      method: 'PUT',
      url: '/users/1',
      headers: { 'content-type': 'application/json', 'x-correlation-id': process.env.RQ_ID, traceparent },
      body: { name: 'Ada', _callback_url: 'https://hooks.example.com/cb', _callback_token: 'tok-0123456789abcdef' },
    },
    {},
    {},
  );
  out.decision = decision.type;
  await runtime.close();
  out.loaded = Object.keys(require.cache).filter((f) => /prom-client|@opentelemetry/.test(f));
  console.log(JSON.stringify(out));
}
main().catch((err) => { console.error(err); process.exit(1); });
`;

const redis = (await storeMatrix()).find(({ kind }) => kind.name === 'redis');
const skip = redis ? redis.skip : 'no redis store';

describe.skipIf(skip !== null)('without prom-client and @opentelemetry/api installed', () => {
  let dir: string;
  let lib: string;
  const prefix = `rqpeers-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    if (skip) return;
    const build = await buildForTests();
    // The sample worker imports the package's entry: the build has all of lib/ in CommonJS.
    lib = join(dirname(build.cli), '..', 'index.js');
    dir = await mkdtemp(join(tmpdir(), 'rq-peers-'));
    await writeFile(join(dir, 'hide.cjs'), HIDE);
    await writeFile(join(dir, 'main.cjs'), SCRIPT(lib));
  }, 180_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    if (!skip) await deleteRedisPrefix(REDIS_URL, prefix);
  });

  it('loads, queues a request with its traceparent, and names the package only when metrics are on', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--require', join(dir, 'hide.cjs'), join(dir, 'main.cjs')],
      {
        env: { ...process.env, RQ_REDIS_URL: REDIS_URL, RQ_PREFIX: prefix, RQ_ID: randomUUID(), NODE_ENV: 'test' },
        timeout: 60_000,
      },
    );
    const out = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    expect(out.hidden).toEqual([true, true]);
    expect(out.metrics).toBe(true);
    expect(out.carrier).toEqual({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    expect(out.metricsError).toEqual({
      name: 'RequestQueueConfigError',
      message: "metrics need the package 'prom-client': npm install prom-client",
    });
    expect(out.decision).toBe('queued');
    expect(out.loaded).toEqual([]);
  }, 90_000);
});
