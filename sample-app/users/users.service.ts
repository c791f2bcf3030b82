import { Injectable, NotFoundException } from '@nestjs/common';

export interface User {
  id: number;
  name: string;
  email: string;
}

/** An in-memory user table, as in the Laravel package's README (user 1 exists at start). */
@Injectable()
export class UsersService {
  private readonly users = new Map<number, User>([[1, { id: 1, name: 'Taylor', email: 'taylor@example.com' }]]);
  private nextId = 2;

  create(fields: Partial<User>): User {
    const user = { id: this.nextId++, name: String(fields.name ?? ''), email: String(fields.email ?? '') };
    this.users.set(user.id, user);
    return user;
  }

  find(id: number): User {
    const user = this.users.get(id);
    if (!user) throw new NotFoundException(`user ${id} not found`);
    return user;
  }

  update(id: number, fields: Partial<User>): User {
    const user = this.find(id);
    if (typeof fields.name === 'string') user.name = fields.name;
    if (typeof fields.email === 'string') user.email = fields.email;
    return user;
  }

  remove(id: number): void {
    this.find(id);
    this.users.delete(id);
  }
}
