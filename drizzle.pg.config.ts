// drizzle-kit configuration of the PostgreSQL backend: db/pg/schema.ts → db/pg/migrations.
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './db/pg/schema.ts',
  out: './db/pg/migrations',
});
