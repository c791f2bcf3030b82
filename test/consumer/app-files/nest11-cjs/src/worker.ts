import { runRequestQueueWorker } from 'nestjs-request-queue';
import { AppModule } from './app.module';

void runRequestQueueWorker(AppModule); // no HTTP listener; SIGTERM finishes the jobs in hand, then exits 0
