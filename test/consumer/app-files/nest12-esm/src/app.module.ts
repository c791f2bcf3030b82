import { Module } from '@nestjs/common';
import { RequestQueueModule } from 'nestjs-request-queue';
import { AppController } from './app.controller.js';
import { AppService } from './app.service.js';
import { EchoController } from './echo.controller.js';
import requestQueueConfig from './request-queue.config.js';

@Module({
  imports: [RequestQueueModule.forRoot(requestQueueConfig())],
  controllers: [AppController, EchoController],
  providers: [AppService],
})
export class AppModule {}
