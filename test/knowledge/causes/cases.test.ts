// The generic cause tester: every case of every cause folder (src/knowledge/causes/<id>/cases.ts)
// runs through the real Recognizer and the real engine, with the facts the case gives, and must get
// the verdict (and where it says so, the rank and the words) it expects. Cause modules are tested
// as signatures are: by real lines, never by hits built with ids no signature emits.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../../src/diagnose/engine.js';
import { Recognizer } from '../../../src/diagnose/recognize.js';
import { CAUSES } from '../../../src/knowledge/causes/index.js';
import { SIGNATURES } from '../../../src/knowledge/signatures/index.js';
import type { CauseCase } from '../../../src/knowledge/types.js';

const DIR = resolve(import.meta.dirname, '../../../src/knowledge/causes');

function run(c: CauseCase) {
  const rec = new Recognizer(SIGNATURES);
  c.log.forEach((text, i) =>
    rec.add({ source: 'crash.log', line: i + 1, text, format: 'plain', truncated: false }),
  );
  const signatures = rec.result();
  return diagnose({
    incident: { subject: { ...rec.subject, ...c.subject }, signatures },
    process: c.process ?? {},
    ...(c.node ? { node: c.node } : {}),
  });
}

for (const def of CAUSES) {
  describe(def.id, async () => {
    const file = resolve(DIR, def.id, 'cases.ts');
    it('has real cases beside its logic', () => {
      expect(existsSync(file), `causes/${def.id}/cases.ts`).toBe(true);
    });
    if (!existsSync(file)) return;
    const { cases } = (await import(/* @vite-ignore */ file)) as { cases: CauseCase[] };
    it('cases name where their lines come from', () => {
      expect(cases.length).toBeGreaterThan(0);
      for (const c of cases) {
        expect(c.source.length, c.name).toBeGreaterThan(0);
        expect(c.log.length, c.name).toBeGreaterThan(0);
      }
    });
    for (const c of cases) {
      it(c.name, () => {
        const ranked = run(c);
        const at = ranked.findIndex((a) => a.id === def.id);
        expect(
          at,
          `${def.id} is not a candidate; candidates: ${ranked.map((a) => a.id).join(', ')}`,
        ).toBeGreaterThanOrEqual(0);
        const a = ranked[at]!;
        const words = [a.summary, ...a.reasons].join('\n');
        expect(a.verdict, words).toBe(c.expect.verdict);
        if (c.expect.first) expect(ranked[0]!.id).toBe(def.id);
        for (const other of c.expect.above ?? []) {
          const o = ranked.findIndex((x) => x.id === other);
          expect(o === -1 || o > at, `${other} ranks above ${def.id}`).toBe(true);
        }
        for (const other of c.expect.notRaised ?? [])
          expect(
            ranked.map((x) => x.id),
            `${other} was raised`,
          ).not.toContain(other);
        for (const w of c.expect.said ?? []) expect(words).toMatch(w);
        for (const w of c.expect.notSaid ?? []) expect(words).not.toMatch(w);
        for (const t of c.expect.evidence ?? [])
          expect(
            a.evidence.some((e) => e.text.includes(t)),
            `evidence "${t}"`,
          ).toBe(true);
        for (const m of c.expect.missing ?? []) expect(a.missing.join('\n')).toMatch(m);
        // Every verdict rests on evidence that says where it was read.
        expect(a.evidence.length).toBeGreaterThan(0);
        for (const e of a.evidence) expect(e.source.length > 0 && e.text.length > 0).toBe(true);
        if (a.verdict === 'confirmed' || a.verdict === 'likely')
          expect(a.remediation.length).toBeGreaterThan(0);
      });
    }
  });
}
