import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../lib/core/errors.js';
import { RedisStore } from '../../lib/store/redis/redis.store.js';
import { PrivateRedis } from '../support/private-servers.js';
import { Redis } from '../support/redis.js';
import { uniqueName } from '../support/store-servers.js';
import { newJob, sleep } from './store-conformance.js';

const TTL = 60_000;
const COMMAND_TIMEOUT_MS = 1000;
/** Longer than the command timeout: the caller has its answer before Redis runs anything again. */
const PAUSE_MS = 2500;

const server = new PrivateRedis();
// Under CI nothing is skipped: a missing server binary fails the test.
const skip = process.env.CI ? null : server.unavailable();

/**
 * An enqueue whose connection drops before Redis answers it is answered "unavailable" (the
 * API's 503) and is never sent again once the client has reconnected: with ioredis's default
 * (`autoResendUnfulfilledCommands`) it would run after the 503, storing a request its client
 * was told was not taken. A private Redis, because `CLIENT PAUSE` holds every client of a server.
 */
describe.skipIf(skip)('Redis store: a command cut off with its connection', () => {
  const prefix = uniqueName('rqtest');
  let store: RedisStore;
  let admin: Redis;

  beforeAll(async () => {
    await server.setUp();
    const url = server.options().redis!.url!;
    store = new RedisStore({ url, prefix, commandTimeout: COMMAND_TIMEOUT_MS });
    await store.init();
    admin = new Redis(url);
    const warm = randomUUID();
    expect(await store.enqueue(newJob('q', warm), warm, TTL)).not.toBeNull(); // connected, script loaded
  }, 60_000);

  afterAll(async () => {
    await store?.close();
    await admin?.quit();
    await server.remove();
  }, 60_000);

  it('is answered unavailable and not sent again after the reconnection', async () => {
    const id = randomUUID();
    // Redis holds write commands (scripts included) for PAUSE_MS: the enqueue reaches it and waits.
    await admin.call('CLIENT', 'PAUSE', String(PAUSE_MS), 'WRITE');
    const answer = store.enqueue(newJob('q', id), id, TTL).then(
      (jobId) => ({ jobId }),
      (err: unknown) => ({ err }),
    );
    await sleep(200);
    // The store's connection is cut while its command waits: Redis drops the command with it.
    await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');

    const got = await answer;
    expect('err' in got && got.err).toBeInstanceOf(StoreUnavailableError);
    // Past the pause (and a margin): a command sent again after the reconnection would have run.
    await sleep(PAUSE_MS + 500);
    expect(await admin.exists(`${prefix}:request-queue:cid:${id}`)).toBe(0);
    expect(await admin.exists(`${prefix}:request-queue:status:${id}`)).toBe(0);

    // The store works again on its new connection, and the id is still free.
    expect(await store.enqueue(newJob('q', id), id, TTL)).not.toBeNull();
  }, 30_000);
});
