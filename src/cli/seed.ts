// npm run seed: load the report's scorecard from seeds/ (idempotent: a second run changes nothing).
import { loadSeeds } from '../seed/loader.js';
import { runCli, withDatabase } from './connect.js';

await runCli(() => withDatabase(async (db, log) => {
  const result = await loadSeeds(db, log);
  console.log(JSON.stringify(result));
}));
