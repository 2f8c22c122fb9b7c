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

test("a manifest naming its node ../../.. is refused in one sentence; the analyst's own /proc is never read", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-climb-node-'));
  mkdirSync(join(dir, 'objects'));
  mkdirSync(join(dir, 'nodes'));
  const m = manifest('logs/none.log');
  m.containers = m.containers.map((c) => ({ ...c, node: '../../..' }));
  (m as { nodeSnapshots: string[] }).nodeSnapshots = ['../../..'];
  writeFileSync(join(dir, 'podmortem-bundle.json'), JSON.stringify(m));
  writeFileSync(join(dir, 'objects', 'pods.json'), JSON.stringify(podList));
  const r = await analyzeBundle(dir);
  expect(r.report).toBeUndefined();
  expect(r.error).toMatch(
    /names "\.\.\/\.\.\/\.\." at containers\.0\.node, which is not a Kubernetes name: the bundle is refused\.$/,
  );
});

test('"problems":[{}] is a note, not an unreadable bundle', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pm-problems-'));
  mkdirSync(join(dir, 'objects'));
  writeFileSync(
    join(dir, 'podmortem-bundle.json'),
    JSON.stringify({ ...manifest('logs/none.log'), problems: [{}] }),
  );
  writeFileSync(join(dir, 'objects', 'pods.json'), JSON.stringify(podList));
  const r = await analyzeBundle(dir);
  expect(r.error).toBeUndefined();
  expect(r.report!.incidents).toHaveLength(2);
  expect(
    r.report!.warnings.some((w) => w.includes('1 problem(s) in podmortem-bundle.json are not of the shape')),
  ).toBe(true);
});

test('a bundle inflating past the size cap is abandoned early, one sentence, temp folder gone', async () => {
  const src = mkdtempSync(join(tmpdir(), 'pm-bomb-'));
  writeFileSync(join(src, 'podmortem-bundle.json'), JSON.stringify(manifest('logs/none.log')));
  mkdirSync(join(src, 'logs'));
  // 600 MiB of zeros compress to well under 1 MiB: past the 512 MiB cap.
  const { openSync, writeSync, closeSync, readdirSync } = await import('node:fs');
  const fd = openSync(join(src, 'logs', 'zeros.log'), 'w');
  const block = Buffer.alloc(1 << 20);
  for (let i = 0; i < 600; i++) writeSync(fd, block);
  closeSync(fd);
  const file = join(src, '..', `bomb-${process.pid}.tar.gz`);
  await create({ gzip: true, file, cwd: src }, ['podmortem-bundle.json', 'logs']);
  const before = readdirSync(tmpdir()).filter((n) => n.startsWith('podmortem-read-')).length;
  const r = await analyzeBundle(file);
  expect(r.error).toMatch(/inflates to more than 512 MiB: not a podmortem bundle, refused/);
  expect(readdirSync(tmpdir()).filter((n) => n.startsWith('podmortem-read-')).length).toBe(before);
}, 120_000);
