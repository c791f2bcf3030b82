import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, Delete, Get, Patch, Put } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueableRequest, RequestQueueConfigError, RequestQueueModule } from '../../lib/index.js';
import { CapturedLogger } from '../support/captured-logger.js';
import { freePort } from '../support/free-port.js';
import { ADAPTERS, listenOn } from '../support/nest-app.js';
import { createTestApp } from '../support/test-app.js';

@Controller('user')
class UserController {
  @Put(':id')
  @QueueableRequest({ queue: 'high' })
  put() {
    return {};
  }

  @Patch(':id')
  @QueueableRequest({ queue: 'high' })
  patch() {
    return {};
  }

  /** Never queued (not in `methods`): not named. */
  @Get(':id')
  @QueueableRequest({ queue: 'high' })
  get() {
    return {};
  }
}

@QueueableRequest({ timeout: 120_000 })
@Controller('report')
class ReportController {
  @Put(':id')
  put() {
    return {};
  }

  @Delete(':id')
  remove() {
    return {};
  }
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rq-startup-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sqlite = (name: string) => ({ url: `sqlite:${join(dir, `${name}.sqlite`)}`, migrationsRun: true });

describe.each(ADAPTERS)('startup checks of the routes (%s)', (adapter) => {
  it('warns, naming the route and the fix, about a queue no worker consumes and a timeout past the lease', async () => {
    const logger = new CapturedLogger();
    const moduleRef = await Test.createTestingModule({
      imports: [
        RequestQueueModule.forRoot({
          driver: 'database',
          database: sqlite(`routes-${adapter}`),
          secret: 'test-secret',
        }),
      ],
      controllers: [UserController, ReportController],
    }).compile();
    const app = await listenOn(moduleRef, adapter, await freePort(), logger);
    try {
      expect(logger.of('warn')).toEqual([
        "no worker consumes queue 'high' (used by PUT /user/:id, PATCH /user/:id): its requests get 202 and are never replayed; " +
          'add it to worker.queues or run request-queue work --queue high,api:request',
        'PUT /report/:id has a replay timeout of 120000 ms, not shorter than the database lease (database.retryAfter 90000 ms): ' +
          "if its worker cannot renew the lease, a second worker may run the same request; set database.retryAfter to 150000 ms or more, or shorten the route's timeout",
        'DELETE /report/:id has a replay timeout of 120000 ms, not shorter than the database lease (database.retryAfter 90000 ms): ' +
          "if its worker cannot renew the lease, a second worker may run the same request; set database.retryAfter to 150000 ms or more, or shorten the route's timeout",
      ]);
    } finally {
      await app.close();
    }
  });

  it('is silent when every route is consumed and within its lease', async () => {
    const logger = new CapturedLogger();
    const t = await createTestApp(adapter, { driver: 'database', database: sqlite(`quiet-${adapter}`) }, logger);
    try {
      expect(logger.of('warn')).toEqual([]);
      expect(logger.of('log').some((line) => line.startsWith('worker on api:request, e2e-delayed'))).toBe(true);
    } finally {
      await t.close();
    }
  });
});

describe('startup checks of the options', () => {
  it('refuses a database lease shorter than the longest attempt, with both numbers and the fix', async () => {
    const compiling = Test.createTestingModule({
      imports: [
        RequestQueueModule.forRoot({
          driver: 'database',
          database: { ...sqlite('lease'), retryAfter: 20_000 },
          timeout: 30_000,
        }),
      ],
    }).compile();
    const err = await compiling.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RequestQueueConfigError);
    expect((err as Error).message).toMatch(
      /^database\.retryAfter \(20000 ms\) must exceed the longest attempt timeout \(30000 ms.*set database\.retryAfter to 90000 ms/,
    );
  });
});
