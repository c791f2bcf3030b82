import { Test, TestingModule } from '@nestjs/testing';
import { EchoController } from './echo.controller.js';

describe('EchoController', () => {
  let controller: EchoController;

  beforeEach(async () => {
    const app: TestingModule = await Test.createTestingModule({
      controllers: [EchoController],
    }).compile();

    controller = app.get<EchoController>(EchoController);
  });

  it('answers with what it received', () => {
    const req = {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      query: {},
      body: { name: 'Zoë' },
    };
    expect(controller.replace('1', req)).toEqual({
      id: '1',
      method: 'PUT',
      contentType: 'application/json',
      query: {},
      body: { name: 'Zoë' },
    });
  });
});
