// A log scanned in ranges (src/pipeline/parallel) is recognized range by range and put back together
// with Recognizer.absorb: the hits, their fields, evidence and counts, the subject and the crash times
// must be what one recognizer reading every line in order gives, wherever the cuts fall. The lines are
// every real crash log of the corpus and the held-out set, one after the other (many signatures,
// repeated ones, subject facts that the first hit of a signature gives and a later one would not).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Recognizer } from '../../src/diagnose/recognize.js';
import type { LogLine } from '../../src/evidence/types.js';
import { SIGNATURES } from '../../src/knowledge/signatures/index.js';

const ROOT = join(import.meta.dirname, '..');
const LINES: LogLine[] = ['corpus/cases.jsonl', 'heldout/cases.jsonl']
  .flatMap((f) => readFileSync(join(ROOT, f), 'utf8').trim().split('\n'))
  .flatMap((l) => (JSON.parse(l) as { log: string[] }).log)
  .map((text, i) => ({
    source: 'all.log',
    line: i + 1,
    text,
    format: 'plain',
    truncated: false,
    // Every third line dated, so the first and last crash times come from different parts.
    ...(i % 3 === 0 ? { time: `2024-05-01T10:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:00Z` } : {}),
  }));
/** What kubectl describe says, read before the log (diagnoseContainer's records). */
const RECORDS: LogLine[] = ['      Reason:       OOMKilled', '      Exit Code:    137'].map((text) => ({
  source: 'describe',
  line: 0,
  text,
  format: 'plain',
  truncated: false,
}));

function whole(): Recognizer {
  const rec = new Recognizer(SIGNATURES);
  for (const l of [...RECORDS, ...LINES]) rec.add(l);
  return rec;
}

/** The lines cut at `cuts`, each part recognized alone with its own line numbers, absorbed in order. */
function inParts(cuts: number[]): Recognizer {
  const rec = new Recognizer(SIGNATURES);
  for (const l of RECORDS) rec.add(l);
  const bounds = [0, ...cuts, LINES.length];
  for (let p = 0; p + 1 < bounds.length; p++) {
    const part = new Recognizer(SIGNATURES);
    for (const l of LINES.slice(bounds[p], bounds[p + 1])) part.add({ ...l, line: l.line - bounds[p]! });
    // Through a structured clone, as a worker thread posts it.
    rec.absorb(structuredClone(part.part()), bounds[p]!);
  }
  return rec;
}

const view = (r: Recognizer) => ({
  hits: r.result(),
  subject: r.subject,
  first: r.firstTime,
  last: r.lastTime,
});

describe('Recognizer.absorb', () => {
  it('the lines are crashes of many kinds', () => {
    expect(
      new Set(
        whole()
          .result()
          .map((h) => h.id),
      ).size,
    ).toBeGreaterThan(40);
  });

  it('two parts, cut after every line', () => {
    const expected = view(whole());
    for (let k = 0; k <= LINES.length; k++)
      expect(view(inParts([k])), `cut after line ${k}`).toEqual(expected);
  });

  it('many parts', () => {
    const expected = view(whole());
    for (const step of [1, 2, 7, 50]) {
      const cuts = Array.from({ length: Math.floor((LINES.length - 1) / step) }, (_, i) => (i + 1) * step);
      expect(view(inParts(cuts)), `a part every ${step} lines`).toEqual(expected);
    }
  });
});
