import { Module } from '@nestjs/common';
import { RequestQueueModule } from 'nestjs-request-queue';
import { AppController } from './app.controller';
import { AppService } from './app.service';
import { EchoController } from './echo.controller';
import requestQueueConfig from './request-queue.config';

@Module({
  imports: [RequestQueueModule.forRoot(requestQueueConfig())],
  controllers: [AppController, EchoController],
  providers: [AppService],
})
export class AppModule {}
