import { Module } from '@nestjs/common';
import { RequestQueueModule } from 'nestjs-request-queue';
import { AppController } from './app.controller';
import { AppService } from './app.service';
import requestQueueConfig from './request-queue.config';
import { UserController } from './user.controller';

@Module({
  imports: [RequestQueueModule.forRoot(requestQueueConfig())],
  controllers: [AppController, UserController],
  providers: [AppService],
})
export class AppModule {}
