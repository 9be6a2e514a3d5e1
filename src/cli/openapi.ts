// npm run openapi: regenerate openapi/openapi.json from the route schemas (a test fails when
// the committed file and the served document differ).
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { generateOpenApi } from '../openapi-document.js';

const out = fileURLToPath(new URL('../../openapi/openapi.json', import.meta.url));
await writeFile(out, JSON.stringify(await generateOpenApi(), null, 2) + '\n');
console.log(`wrote ${out}`);
process.exit(0);
