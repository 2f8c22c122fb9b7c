// A bundle is untrusted input (someone handed it over): links, paths out of it and a manifest that
// points outside are refused or ignored, never followed; a broken bundle is one sentence.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from 'tar';
import { expect, test } from 'vitest';
import { analyzeBundle } from '../../src/pipeline/bundle.js';

const manifest = (log: string, log2 = 'logs/none.log') => ({
  kind: 'podmortem-bundle',
  formatVersion: 1,
  createdAt: '2026-11-29T12:00:00Z',
  podmortemVersion: '0.1.0',
  server: 'https://example:6443',
  scope: {},
  redaction: { enabled: true, counts: {}, total: 0 },
  containers: [
    { namespace: 'shop', pod: 'p', container: 'c', why: '1 restart', previous: true, log },
    { namespace: 'shop', pod: 'p', container: 'c2', why: '1 restart', previous: true, log: log2 },
  ],
  problems: [],
  stats: { pods: 1, pages: 1, requests: 3, retries: 0 },
  nodeSnapshots: [],
});
const podList = {
  kind: 'List',
  items: [
    {
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'shop' },
      spec: { containers: [{ name: 'c' }, { name: 'c2' }] },
    },
  ],
};

test('symlinks inside the archive are not extracted, and a log path that climbs out is not followed', async () => {
  const src = mkdtempSync(join(tmpdir(), 'pm-evil-'));
  mkdirSync(join(src, 'objects'));
  mkdirSync(join(src, 'logs'));
  writeFileSync(
    join(src, 'podmortem-bundle.json'),
    JSON.stringify(manifest('logs/link.log', '../../../../etc/passwd')),
  );
  writeFileSync(join(src, 'objects', 'pods.json'), JSON.stringify(podList));
  symlinkSync('/etc/passwd', join(src, 'logs', 'link.log'));
  const file = join(src, '..', `evil-${process.pid}.tar.gz`);
  await create({ gzip: true, file, cwd: src }, ['podmortem-bundle.json', 'objects', 'logs']);
  const r = await analyzeBundle(file);
  expect(r.error).toBeUndefined();
  const report = r.report!;
  expect(report.incidents).toHaveLength(2);
  // The link (to /etc/passwd) was not extracted, and the climbing path was confined to the bundle.
  expect(report.warnings.some((w) => w.includes('logs/link.log') && w.includes('no such file'))).toBe(true);
  expect(report.warnings.some((w) => w.includes('etc/passwd') && w.includes('no such file'))).toBe(true);
  expect(JSON.stringify(report)).not.toContain('root:x:0:0');
});

test('a folder without a valid manifest, and a manifest of another format, are one sentence each', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-bad-bundle-'));
  writeFileSync(join(dir, 'podmortem-bundle.json'), '{ not json');
  expect((await analyzeBundle(dir)).error).toMatch(/podmortem-bundle.json cannot be read/);
  writeFileSync(join(dir, 'podmortem-bundle.json'), JSON.stringify({ ...manifest('x'), formatVersion: 9 }));
  expect((await analyzeBundle(dir)).error).toBe(
    `${dir}: podmortem-bundle.json is not a podmortem bundle manifest of format 1.`,
  );
});
