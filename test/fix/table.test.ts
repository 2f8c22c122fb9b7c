// The fix table's values are the causes' own: every default it holds is written in that cause's
// remediation (its cause.ts, or the shared module it builds the remediation from), so `fix` and the
// report never recommend two different values, and a cause whose value changes fails here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CAUSES as REGISTRY } from '../../src/knowledge/causes/index.js';
import { FIXES } from '../../src/fix/table.js';

const CAUSES = join(import.meta.dirname, '../../src/knowledge/causes');

function sourceOf(id: string): string {
  const own = readFileSync(join(CAUSES, id, 'cause.ts'), 'utf8');
  // The inotify causes pass their values to a shared builder, which writes the commands.
  const shared = id.startsWith('inotify.')
    ? readFileSync(join(CAUSES, 'shared/inotify-limit.ts'), 'utf8')
    : '';
  return own + shared;
}

describe('src/fix/table.ts', () => {
  it('names registered causes only', () => {
    const ids = new Set(REGISTRY.map((c) => c.id as string));
    for (const id of Object.keys(FIXES)) expect(ids.has(id), id).toBe(true);
  });

  it.each(Object.entries(FIXES))('%s: every value is the one its cause recommends', (id, fixes) => {
    const src = sourceOf(id);
    for (const f of fixes) {
      if (f.kind === 'sysctl') {
        expect(src).toContain(`'${f.key}'`);
        expect(src).toMatch(new RegExp(`\\b${f.value}\\b`));
        expect(src).toContain(f.file);
      } else if (f.kind === 'dropin') {
        expect(src).toContain(`${f.setting}=${f.value}`);
      } else if (f.kind === 'kubelet') {
        for (const s of f.set)
          expect(src).toContain(
            `${s.path[s.path.length - 1]}: ${typeof s.value === 'string' ? `"${s.value}"` : s.value}`,
          );
      }
    }
  });
});
