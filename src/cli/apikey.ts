// npm run apikey -- create --name NAME --scope read|write|admin [--expires 2027-01-01]
//                  revoke ID|NAME|PREFIX
//                  list
import { parseArgs } from 'node:util';
import { generateKey, insertKey, listKeys, revokeKey, type Scope } from '../repositories/api-keys.js';
import { runCli, withDatabase } from './connect.js';

const USAGE = 'usage: npm run apikey -- create --name NAME --scope read|write|admin [--expires ISO-DATE] | revoke ID|NAME|PREFIX | list';

await runCli(async () => {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { name: { type: 'string' }, scope: { type: 'string' }, expires: { type: 'string' } },
  });
  const [command, target] = positionals;
  if (command === 'create') {
    const scope = values.scope as Scope;
    if (!values.name || !['read', 'write', 'admin'].includes(scope)) throw new Error(USAGE);
    const expires = values.expires ? new Date(values.expires) : null;
    if (expires && Number.isNaN(expires.getTime())) throw new Error(`--expires: not a date: ${values.expires}`);
    await withDatabase(async (db) => {
      const key = generateKey();
      const info = await insertKey(db, key, values.name!, scope, expires);
      console.log(`created key ${info.id} '${info.name}' (${info.scope}${expires ? `, expires ${expires.toISOString()}` : ''})`);
      console.log('It is shown once; store it now:');
      console.log(key);
    });
  } else if (command === 'revoke') {
    if (!target) throw new Error(USAGE);
    await withDatabase(async (db) => {
      const n = await revokeKey(db, target);
      if (!n) throw new Error(`no active key matches '${target}'`);
      console.log(`revoked ${n} key(s)`);
    });
  } else if (command === 'list') {
    await withDatabase(async (db) => {
      for (const k of await listKeys(db)) {
        const state = k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : k.expiresAt && k.expiresAt <= new Date() ? 'expired' : 'active';
        console.log(`${k.id}\t${k.prefix}…\t${k.scope}\t${k.name}\t${state}${k.expiresAt ? `\texpires ${k.expiresAt.toISOString()}` : ''}`);
      }
    });
  } else {
    throw new Error(USAGE);
  }
});
