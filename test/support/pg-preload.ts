// Preloaded by `npm run test:postgres`: one PostgreSQL for the whole run, which
// test/support/backend.ts gives each test a fresh database on.
import { startPostgres } from './postgres';

process.env.ORRERY_TEST_STORE = 'postgres';
// Every test builds its own backend (a pool of a few connections that close after a second idle).
if (!process.env.ORRERY_TEST_DATABASE_URL) process.env.ORRERY_TEST_DATABASE_URL = (await startPostgres({ settings: { max_connections: 1000 } })).url;
