// INPUT arguments as a user gives them: a kubelet pod log folder (with the Docker symlinks of
// dockershim nodes and a dangling one), standard input, an empty folder, a missing file.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { expandInputs, subjectFromPath } from '../../../src/sources/logs/inputs.js';
import { buildPrefilter, scanStream, type LogLine } from '../../../src/sources/logs/scanner.js';
import { KEYWORDS, SEED } from './helpers.js';

const UID = '0f2b1c3d-1111-4222-8333-444455556666';
const UID2 = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const UID3 = '12345678-aaaa-4bbb-8ccc-dddddddddddd';

async function hitsOf(open: () => Readable): Promise<LogLine[]> {
  const hits: LogLine[] = [];
  await scanStream(open(), 'x', buildPrefilter(KEYWORDS), (l) => hits.push(l));
  return hits;
}

/** /var/log/pods as the kubelet lays it out: `<namespace>_<pod>_<uid>/<container>/<restart>.log`. */
function podLogFolder(): string {
  const root = mkdtempSync(join(tmpdir(), 'pm-pods-'));
  const calico = join(root, `kube-system_calico-node-56bgm_${UID}`, 'calico-node');
  mkdirSync(calico, { recursive: true });
  writeFileSync(join(calico, '20.log'), `2024-01-02T03:04:05.000000000Z stderr F ${SEED[0]}\n`);
  writeFileSync(
    join(calico, '21.log'),
    SEED.map((l) => `2024-01-02T04:04:05.000000000Z stderr F ${l}`).join('\n') + '\n',
  );
  // dockershim nodes: the kubelet's entry is a symlink to the Docker json-file log of the container.
  const id = 'b1946ac92492d2347c6235b4d2611184b1946ac92492d2347c6235b4d2611184';
  const docker = mkdtempSync(join(tmpdir(), 'pm-docker-')); // /var/lib/docker, outside the pod log folder
  const dockerDir = join(docker, 'containers', id);
  mkdirSync(dockerDir, { recursive: true });
  const dockerLog = join(dockerDir, `${id}-json.log`);
  writeFileSync(dockerLog, `{"log":"${SEED[2]}\\n","stream":"stderr","time":"2024-01-02T03:04:05.1Z"}\n`);
  const web = join(root, `default_web-7d4b9_${UID2}`, 'web');
  mkdirSync(web, { recursive: true });
  symlinkSync(dockerLog, join(web, '0.log'));
  // A container whose Docker log was already removed: the symlink dangles.
  const api = join(root, `default_api-1_${UID3}`, 'api');
  mkdirSync(api, { recursive: true });
  symlinkSync(join(docker, 'containers', 'gone', 'gone-json.log'), join(api, '3.log'));
  return root;
}

describe('expandInputs', () => {
  it('a kubelet log folder: one source per container log, subject from the path, Docker symlinks followed', async () => {
    const root = podLogFolder();
    const out = await expandInputs([join(root)]);
    const byRestart = Object.fromEntries(
      out.logs.map((l) => [`${l.subject.pod}/${l.subject.restartCount}`, l]),
    );
    expect(Object.keys(byRestart).sort()).toEqual([
      'calico-node-56bgm/20',
      'calico-node-56bgm/21',
      'web-7d4b9/0',
    ]);
    expect(byRestart['calico-node-56bgm/21']!.subject).toEqual({
      namespace: 'kube-system',
      pod: 'calico-node-56bgm',
      podUid: UID,
      container: 'calico-node',
      restartCount: 21,
    });
    expect(byRestart['web-7d4b9/0']!.subject).toMatchObject({
      namespace: 'default',
      container: 'web',
      podUid: UID2,
    });
    const dockerHits = await hitsOf(byRestart['web-7d4b9/0']!.open);
    expect(dockerHits).toMatchObject([{ line: 1, format: 'docker', text: SEED[2] }]);
    const criHits = await hitsOf(byRestart['calico-node-56bgm/21']!.open);
    expect(criHits.map((h) => [h.line, h.format])).toEqual([
      [1, 'cri'],
      [3, 'cri'],
    ]);
  });

  it('a dangling symlink is one sentence; the rest of the folder is still analyzed', async () => {
    const root = podLogFolder();
    const out = await expandInputs([root]);
    expect(out.errors).toHaveLength(1);
    expect(out.errors[0]).toMatch(/api\/3\.log: no such file or directory\.$/);
    expect(out.errors[0]!.split('\n')).toHaveLength(1);
    expect(out.logs).toHaveLength(3);
  });

  it('"-" is standard input, named stdin', async () => {
    const stdin = Readable.from([Buffer.from(SEED.join('\n'))]);
    const out = await expandInputs(['-'], stdin);
    expect(out.logs.map((l) => l.name)).toEqual(['stdin']);
    expect((await hitsOf(out.logs[0]!.open)).map((h) => h.line)).toEqual([1, 3]);
  });

  it('a named pipe (what `analyze <(kubectl logs -p ...)` passes) is read once, to the end', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm-fifo-'));
    const fifo = join(dir, 'logs');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const big = join(dir, 'big.log');
    // More than a pipe buffer (64 KiB) before the crash: the writer must still be writing when we open.
    writeFileSync(big, 'x'.repeat(99) + '\n' + ('y'.repeat(99) + '\n').repeat(20_000) + SEED[0] + '\n');
    const writer = spawn('sh', ['-c', 'cat "$0" > "$1"', big, fifo], { stdio: 'ignore' });
    const exited = new Promise<number | null>((r) => writer.on('exit', (code) => r(code)));
    const out = await expandInputs([fifo]);
    expect(out.errors).toEqual([]);
    expect((await hitsOf(out.logs[0]!.open)).map((h) => h.line)).toEqual([20_002]);
    expect(await exited).toBe(0);
  }, 20_000);

  it('no INPUT means standard input', async () => {
    const out = await expandInputs([], Readable.from([]));
    expect(out.logs.map((l) => l.name)).toEqual(['stdin']);
  });

  it('an empty folder and a missing file are one sentence each', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'pm-empty-'));
    const missing = join(empty, 'nope.log');
    const out = await expandInputs([empty, missing]);
    expect(out.logs).toEqual([]);
    expect(out.errors).toEqual([
      `${empty}: no log files in this folder.`,
      `${missing}: no such file or directory.`,
    ]);
  });
});

describe('deep folders', () => {
  it('a log below the depth limit is not read in silence: one sentence names the first deep folder', async () => {
    const root = mkdtempSync(join(tmpdir(), 'pm-deep-'));
    const deep = join(root, ...Array.from({ length: 10 }, (_, i) => `d${i}`));
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(deep, 'crash.log'), 'panic: deep\n');
    writeFileSync(join(root, 'top.log'), 'panic: top\n');
    const out = await expandInputs([root]);
    expect(out.logs.map((l) => l.name)).toEqual([join(root, 'top.log')]);
    expect(out.errors).toEqual([
      `${root}: folders more than 8 levels deep were not read (the first: ${join(root, 'd0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7', 'd8')}).`,
    ]);
  });
});

describe('subjectFromPath', () => {
  it('reads rotated kubelet logs and ignores paths outside the layout', () => {
    expect(
      subjectFromPath(
        `/var/log/pods/kube-system_calico-node-56bgm_${UID}/calico-node/21.log.20240102-030405`,
      ),
    ).toEqual({
      namespace: 'kube-system',
      pod: 'calico-node-56bgm',
      podUid: UID,
      container: 'calico-node',
      restartCount: 21,
    });
    expect(subjectFromPath('/var/log/messages')).toEqual({});
    expect(subjectFromPath(`/var/log/pods/not-a-pod-dir/calico-node/0.log`)).toEqual({});
  });
});
