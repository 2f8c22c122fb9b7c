// Properties of the bundle reader on hostile input: random bytes as a .tar.gz, random manifests
// (valid shapes with hostile names, arbitrary JSON) never throw, never read outside the bundle, and
// an unreadable bundle is always one sentence.
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { analyzeBundle } from '../../src/pipeline/bundle.js';
import { FUZZ } from './settings.js';

const root = mkdtempSync(join(tmpdir(), 'pm-fuzz-bundle-'));
let n = 0;
const oneSentence = (e: string) => !e.includes('\n') && !/\bat .+:\d+:\d+/.test(e) && e.length < 2000;

const hostileName = fc.oneof(
  fc.constantFrom('../../..', '..', '.', '/etc', 'a/b', 'x\u0000y', '\u202eevil', 'ok-name', 'worker-1', ''),
  fc.string({ maxLength: 30 }),
);
const manifest = fc.record({
  kind: fc.constantFrom('podmortem-bundle', 'other'),
  formatVersion: fc.constantFrom(1, 2, '1'),
  server: fc.string({ maxLength: 20 }),
  scope: fc.constant({}),
  redaction: fc.constant({ enabled: true, counts: {}, total: 0 }),
  containers: fc.array(
    fc.record({
      namespace: hostileName,
      pod: hostileName,
      container: hostileName,
      node: hostileName,
      why: fc.string({ maxLength: 10 }),
      previous: fc.boolean(),
      log: fc.option(fc.constantFrom('../../../../etc/passwd', 'logs/a.log', '/etc/shadow'), { nil: null }),
    }),
    { maxLength: 3 },
  ),
  problems: fc.array(fc.oneof(fc.constant({}), fc.jsonValue({ maxDepth: 2 })), { maxLength: 3 }),
  stats: fc.constant({ pods: 1, pages: 1, requests: 1, retries: 0 }),
  nodeSnapshots: fc.array(hostileName, { maxLength: 2 }),
});

describe('bundle reader properties', () => {
  test('any manifest: a report or one sentence, never a throw, never /etc', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(manifest, fc.jsonValue({ maxDepth: 3 })), async (m) => {
        const dir = join(root, `m${n++}`);
        mkdirSync(join(dir, 'objects'), { recursive: true });
        writeFileSync(join(dir, 'podmortem-bundle.json'), JSON.stringify(m));
        const r = await analyzeBundle(dir);
        if (r.error !== undefined) expect(oneSentence(r.error)).toBe(true);
        else expect(JSON.stringify(r.report)).not.toMatch(/root:x:0:0|root:\*:/);
      }),
      { ...FUZZ, numRuns: Math.min(FUZZ.numRuns, 500) },
    );
  });

  test('any bytes as a .tar.gz: one sentence, never a throw', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), fc.boolean(), async (bytes, gz) => {
        const file = join(root, `t${n++}.tar.gz`);
        writeFileSync(file, gz ? gzipSync(bytes) : bytes);
        const r = await analyzeBundle(file);
        expect(r.error === undefined || oneSentence(r.error)).toBe(true);
      }),
      { ...FUZZ, numRuns: Math.min(FUZZ.numRuns, 1000) },
    );
  });
});
