import { Body, Controller, Put } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { QueueableRequest } from '../../lib/index.js';

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

  it('passes requests through to the handler, callback parameters or not', async () => {
    const moduleRef = await Test.createTestingModule({ controllers: [UserController] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.init();
    try {
      const res = await request(app.getHttpServer())
        .put('/user/1')
        .send({ name: 'Ada', _callback_url: 'https://example.com/hook', _callback_token: 'a-token-of-16-chars-x' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ name: 'Ada', saved: true });
    } finally {
      await app.close();
    }
  });
});
