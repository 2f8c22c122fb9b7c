// Writes schema/report.schema.json from the zod schema of the report (src/report/schema.ts), through
// the built dist/: `npm run schema` builds first. With --check it writes nothing and exits 1 when the
// committed file is out of date (test/schema/published.test.ts runs it so).
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import process from 'node:process';
import { format, resolveConfig } from 'prettier';
import { reportJsonSchema } from '../dist/report/schema.js';
import { CONTRACT_CAUSE_IDS } from '../dist/knowledge/cause-ids.js';

const FILE = resolve(import.meta.dirname, 'report.schema.json');

const text = await format(JSON.stringify(reportJsonSchema(CONTRACT_CAUSE_IDS)), {
  ...(await resolveConfig(FILE)),
  parser: 'json',
});

if (process.argv.includes('--check')) {
  const committed = await readFile(FILE, 'utf8').catch(() => '');
  if (committed !== text) {
    process.stderr.write(
      `${FILE} is out of date with src/report/schema.ts: run npm run schema and commit it.\n`,
    );
    process.exit(1);
  }
} else {
  await writeFile(FILE, text);
}
