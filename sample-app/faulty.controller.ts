import { Controller, InternalServerErrorException, Patch } from '@nestjs/common';
import { QueueableRequest } from '../lib/index.js';

/** Always fails, to watch retries and failed jobs. */
@QueueableRequest()
@Controller('faulty')
export class FaultyController {
  @Patch(':id')
  fail(): never {
    throw new InternalServerErrorException('this route always fails');
  }
}
