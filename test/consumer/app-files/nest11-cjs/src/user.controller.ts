import { Body, Controller, Param, Patch, Put } from '@nestjs/common';
import { QueueableRequest } from 'nestjs-request-queue';

@QueueableRequest() // on a controller, or on single handlers: @QueueableRequest({ tries: 5, timeout: 60_000 })
@Controller('user')
export class UserController {
  @Put(':id')
  replace(@Param('id') id: string, @Body() body: Record<string, unknown>) {
    return { id, ...body }; // slow work goes here; the client gets this answer in its callback
  }

  @Patch(':id')
  update(@Param('id') id: string, @Body() body: Record<string, unknown>) {
    return { id, ...body };
  }
}
