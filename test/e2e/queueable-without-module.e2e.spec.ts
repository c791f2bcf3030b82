import { Body, Controller, Put } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from 'vitest';
import { QueueableRequest } from '../../lib/index.js';
import { freePort } from '../support/free-port.js';
import { ADAPTERS, listenOn } from '../support/nest-app.js';

@QueueableRequest()
@Controller('user')
class UserController {
  @Put(':id')
  replace(@Body() body: Record<string, unknown>) {
    return { ...body, saved: true };
  }
}

/**
 * The unit spec `nest g controller` writes compiles the controller alone, without
 * RequestQueueModule: a `@QueueableRequest()` controller must still compile, and its
 * routes run as plain routes there.
 */
describe('@QueueableRequest() without RequestQueueModule', () => {
  it('compiles in a testing module of the controller alone (the generated controller spec)', async () => {
    const moduleRef = await Test.createTestingModule({ controllers: [UserController] }).compile();
    expect(moduleRef.get(UserController)).toBeDefined();
    await moduleRef.close();
  });

  it.each(ADAPTERS)('passes requests through to the handler on %s, callback parameters or not', async (adapter) => {
    const moduleRef = await Test.createTestingModule({ controllers: [UserController] }).compile();
    const port = await freePort();
    const app = await listenOn(moduleRef, adapter, port);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/user/1`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          name: 'Ada',
          _callback_url: 'https://example.com/hook',
          _callback_token: 'a-token-of-16-chars-x',
        }),
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ name: 'Ada', saved: true });
    } finally {
      await app.close();
    }
  });
});
