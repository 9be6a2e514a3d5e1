// npm run openapi: regenerate openapi/openapi.json from the route schemas (a test fails when
// the committed file and the served document differ).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateOpenApi } from '../openapi-document.js';
import { PROJECT_ROOT } from '../project-root.js';

const out = join(PROJECT_ROOT, 'openapi/openapi.json');
await writeFile(out, JSON.stringify(await generateOpenApi(), null, 2) + '\n');
console.log(`wrote ${out}`);
process.exit(0);
