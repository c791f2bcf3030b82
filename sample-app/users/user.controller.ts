import { Body, Controller, Delete, Get, HttpCode, Param, ParseIntPipe, Patch, Post, Put } from '@nestjs/common';
import { QueueableRequest } from '../../lib/index.js';
import { UsersService, type User } from './users.service.js';

/** The Laravel package's `UserController`, every route queueable. */
@QueueableRequest()
@Controller('user')
export class UserController {
  constructor(private readonly users: UsersService) {}

  @Post()
  create(@Body() body: Partial<User>): User {
    return this.users.create(body);
  }

  @Get(':id')
  show(@Param('id', ParseIntPipe) id: number): User {
    return this.users.find(id);
  }

  @Put(':id')
  replace(@Param('id', ParseIntPipe) id: number, @Body() body: Partial<User>): User {
    return this.users.update(id, body);
  }

  @Patch(':id')
  update(@Param('id', ParseIntPipe) id: number, @Body() body: Partial<User>): User {
    return this.users.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  remove(@Param('id', ParseIntPipe) id: number): void {
    this.users.remove(id);
  }
}
