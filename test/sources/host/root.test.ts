// The root resolver keeps every host path inside --node-root: links are resolved inside it, escapes
// are refused with one sentence, odd files (directories, FIFOs, dangling links) never hang or throw.
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  ftruncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNodeFacts } from '../../../src/sources/host/node-facts.js';
import { HostRoot } from '../../../src/sources/host/root.js';
import { writeTree } from './tree.js';

const SNAPSHOT = {
  'etc/os-release': { link: '/etc/passwd' }, // absolute: re-rooted, the host's passwd is never read
  'etc/hostname': { link: '../../../../../../etc/passwd' }, // climbs above the root
  'etc/sysctl.conf': 'kernel.pid_max = 4194304\n',
  'etc/sysctl.d/99-sysctl.conf': { link: '../sysctl.conf' }, // CentOS 7's own relative link
  'proc/sys/kernel/pid_max': { dir: true }, // a directory where a file is expected
  'proc/sys/kernel/threads-max': { link: 'nowhere' }, // dangling
  'proc/loadavg': { fifo: true }, // would block a naive reader forever
  'var/run': { link: '/run' }, // absolute directory link, as on every systemd host
  'run/docker.sock': '',
  'loop/a': { link: 'b' },
  'loop/b': { link: 'a' },
} as const;
let snap: ReturnType<typeof writeTree>;
beforeAll(() => {
  snap = writeTree(SNAPSHOT);
});
afterAll(() => snap?.cleanup());

describe('HostRoot on a snapshot', () => {
  let root: HostRoot;
  beforeAll(() => {
    root = new HostRoot(snap.root);
  });

  it('re-roots an absolute symlink under the snapshot instead of reading the host file', () => {
    expect(readFileSync('/etc/passwd', 'utf8')).toContain('root:'); // the host file exists ...
    expect(root.read('/etc/os-release')).toBeUndefined(); // ... and is not what we read
    expect(root.unreadable).toContain(
      `/etc/os-release: a symbolic link to /etc/passwd leads to nothing inside the node root (${snap.root}); links are resolved inside it, so the host's own file was not read.`,
    );
  });

  it('refuses a relative symlink that climbs above the root, with one sentence', () => {
    expect(root.read('/etc/hostname')).toBeUndefined();
    expect(root.unreadable).toContain(
      '/etc/hostname: a symbolic link climbs above the node root (' + snap.root + '); it was not followed.',
    );
  });

  it("reads the snapshot's own file when an absolute link points at one", () => {
    const withPasswd = writeTree({
      'etc/os-release': { link: '/etc/passwd' },
      'etc/passwd': 'ID=snapshot\n',
    });
    try {
      expect(new HostRoot(withPasswd.root).read('/etc/os-release')?.text).toBe('ID=snapshot\n');
    } finally {
      withPasswd.cleanup();
    }
  });

  it('follows links that stay inside the root, and shows the path as the node sees it', () => {
    const r = root.read('/etc/sysctl.d/99-sysctl.conf');
    expect(r?.text).toBe('kernel.pid_max = 4194304\n');
    expect(r?.path).toBe('/etc/sysctl.d/99-sysctl.conf');
    expect(r?.evidence).toEqual({
      source: '/etc/sysctl.d/99-sysctl.conf',
      line: 1,
      text: 'kernel.pid_max = 4194304',
    });
    expect(root.exists('/var/run/docker.sock')).toBe(true);
    expect(root.resolve('/var/run/docker.sock')).toEqual({
      ok: true,
      real: join(snap.root, 'run/docker.sock'),
    });
    // A file missing behind a good link is just missing: the link is not blamed.
    expect(root.resolve('/var/run/crio/crio.sock')).toMatchObject({
      ok: false,
      code: 'ENOENT',
      reason: '/var/run/crio/crio.sock: no such file or directory.',
    });
  });

  it('reports a directory, a dangling link, a FIFO and a link loop as sentences, without hanging', () => {
    expect(root.read('/proc/sys/kernel/pid_max')).toBeUndefined();
    expect(root.read('/proc/sys/kernel/threads-max')).toBeUndefined();
    expect(root.read('/proc/loadavg')).toBeUndefined();
    expect(root.read('/loop/a')).toBeUndefined();
    expect(root.unreadable).toEqual(
      expect.arrayContaining([
        '/proc/sys/kernel/pid_max: is a directory where a file was expected.',
        `/proc/sys/kernel/threads-max: a symbolic link to nowhere leads to nothing inside the node root (${snap.root}); links are resolved inside it, so the host's own file was not read.`,
        '/proc/loadavg: is not a regular file (a FIFO, socket or device); it was not read.',
        '/loop/a: too many levels of symbolic links.',
      ]),
    );
  });

  it('readNodeFacts carries on past every bad file and lists each once', async () => {
    const facts = await readNodeFacts(snap.root);
    expect(facts.os).toBeUndefined();
    expect(facts.pidMax).toBeUndefined();
    expect(facts.tasks).toBeUndefined();
    expect(facts.sysctlFiles).toEqual([
      {
        key: 'kernel.pid_max',
        value: '4194304',
        evidence: { source: '/etc/sysctl.d/99-sysctl.conf', line: 1, text: 'kernel.pid_max = 4194304' },
      },
      {
        key: 'kernel.pid_max',
        value: '4194304',
        evidence: { source: '/etc/sysctl.conf', line: 1, text: 'kernel.pid_max = 4194304' },
      },
    ]);
    expect(facts.runtime?.value).toBe('docker');
    expect(facts.unreadable).toEqual(
      expect.arrayContaining([
        '/proc/loadavg: is not a regular file (a FIFO, socket or device); it was not read.',
        `/etc/os-release: a symbolic link to /etc/passwd leads to nothing inside the node root (${snap.root}); links are resolved inside it, so the host's own file was not read.`,
      ]),
    );
    expect(new Set(facts.unreadable).size).toBe(facts.unreadable.length);
    expect(JSON.stringify(facts)).not.toContain('root:x:0:0');
  });
});

describe('bounded reads', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'podmortem-big-'));
  });
  afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('cuts a 100 MB file at the bound (sparse file, no disk used)', () => {
    const fd = openSync(join(dir, 'big'), 'w');
    ftruncateSync(fd, 100 * 1024 * 1024);
    closeSync(fd);
    const r = new HostRoot(dir).read('/big');
    expect(r?.truncated).toBe(true);
    expect(r?.text.length).toBe(1 << 20);
    const tail = new HostRoot(dir).read('/big', { tail: true, maxBytes: 4096 });
    expect(tail?.truncated).toBe(true);
    expect(tail!.text.length).toBeLessThanOrEqual(4096);
  });
});

describe('HostRoot reads through one reused buffer', () => {
  it('a file larger than the buffer comes whole and in order; a cut keeps the head, a tail the end', () => {
    const dir = mkdtempSync(join(tmpdir(), 'podmortem-lines-'));
    try {
      const lines = Array.from({ length: 30_000 }, (_, i) => `line ${i}`);
      writeFileSync(join(dir, 'f'), lines.join('\n') + '\n');
      const root = new HostRoot(dir);
      expect(
        root
          .read('/f', { maxBytes: 4 << 20 })!
          .text.split('\n')
          .slice(0, -1),
      ).toEqual(lines);
      expect(root.read('/small-missing', { quiet: true })).toBeUndefined();
      const head = root.read('/f', { maxBytes: 100_000 })!;
      expect(head.truncated).toBe(true);
      expect(head.text).toBe((lines.join('\n') + '\n').slice(0, 100_000));
      const tail = root.read('/f', { maxBytes: 100_000, tail: true })!;
      expect(tail.text.endsWith('line 29999\n')).toBe(true);
      expect(tail.text.startsWith('line ')).toBe(true);
      // The next small read is not polluted by what the large one left in the buffer.
      writeFileSync(join(dir, 'g'), 'max\n');
      expect(root.read('/g')!.text).toBe('max\n');
      expect(root.readSmall('/g')).toBe('max\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('HostRoot on the live root', () => {
  it('reads /proc through its own links (/proc/self)', () => {
    const root = new HostRoot('/');
    expect(root.isLive()).toBe(true);
    const r = root.read('/proc/self/status');
    expect(r?.text).toMatch(/^Name:/);
    expect(r?.path).toBe('/proc/self/status');
  });

  it('a snapshot is not live', () => {
    expect(new HostRoot(snap.root).isLive()).toBe(false);
  });
});
