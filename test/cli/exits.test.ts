// Honest exits and writes (issue 14, item 4): an explicit path that cannot be used is exit 1 with
// one sentence naming it; a report that could not be written is exit 1 and says "cannot be written";
// no temporary file survives a failure; only a reader that went away (EPIPE) is quiet.
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Standin } from '../standin/server.mjs';
import { podmortemAsync, scenarioStandin } from '../cluster/helpers.js';
import { CLI, REPO, ensureBuilt, podmortem, type Run } from './helpers.js';

const EXAMPLE = join(REPO, 'examples/calico-node-newosproc');
const LOG = join(EXAMPLE, 'calico-node.log');
const dir = mkdtempSync(join(tmpdir(), 'pm-exits-'));

/** Exactly one `podmortem:` line on stderr, and nothing else there. */
function oneSentence(r: Run | { stderr: string }): string {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^podmortem: /);
  return lines[0]!;
}

let standin: Standin;
beforeAll(async () => {
  ensureBuilt();
  standin = await scenarioStandin();
});
afterAll(async () => {
  await standin.close();
});

describe('an explicit path that cannot be used is exit 1, naming it', () => {
  it('analyze --node-root /nonexistent', () => {
    const r = podmortem(['analyze', LOG, '--node-root', '/nonexistent']);
    expect(r.status).toBe(1);
    expect(oneSentence(r)).toMatch(/--node-root \/nonexistent: no such file or directory/);
    expect(r.stdout).toBe('');
  });

  it('analyze --node-root on a file', () => {
    const r = podmortem(['analyze', LOG, '--node-root', LOG]);
    expect(r.status).toBe(1);
    expect(oneSentence(r)).toMatch(/--node-root .*calico-node\.log: is not a directory/);
  });

  it('node --docker-socket /nonexistent.sock', () => {
    const r = podmortem(['node', '--root', join(EXAMPLE, 'node'), '--docker-socket', '/nonexistent.sock']);
    expect(r.status).toBe(1);
    expect(oneSentence(r)).toMatch(/--docker-socket \/nonexistent\.sock: no such file or directory/);
  });

  it('node --docker-socket on a regular file', () => {
    const r = podmortem(['node', '--root', join(EXAMPLE, 'node'), '--docker-socket', LOG]);
    expect(r.status).toBe(1);
    expect(oneSentence(r)).toMatch(/--docker-socket .*: is not a socket/);
  });

  it('scan --node-evidence /nonexistent, against a reachable cluster', async () => {
    const r = await podmortemAsync([
      'scan',
      '--kubeconfig',
      standin.kubeconfig,
      '-A',
      '--node-evidence',
      '/nonexistent',
    ]);
    expect(r.status).toBe(1);
    expect(oneSentence(r)).toMatch(/--node-evidence \/nonexistent: no such file or directory/);
  });

  it('collect --node-evidence /nonexistent writes no bundle', async () => {
    const out = join(dir, 'ne.tar.gz');
    const r = await podmortemAsync([
      'collect',
      '--kubeconfig',
      standin.kubeconfig,
      '-A',
      '--node-evidence',
      '/nonexistent',
      '-o',
      out,
    ]);
    expect(r.status).toBe(1);
    expect(oneSentence(r)).toMatch(/--node-evidence \/nonexistent: no such file or directory/);
    expect(existsSync(out)).toBe(false);
  });

  it('a $KUBECONFIG that is a folder or missing is one sentence, without a raw errno', () => {
    for (const kubeconfig of [dir, join(dir, 'missing-kubeconfig')]) {
      const r = podmortem(['scan'], { env: { KUBECONFIG: kubeconfig } });
      expect(r.status).toBe(1);
      const line = oneSentence(r);
      expect(line).toContain(kubeconfig);
      expect(line).not.toMatch(/EISDIR|ENOENT|illegal operation/);
    }
  });
});

describe('a report that cannot be written is exit 1, "cannot be written", and leaves nothing behind', () => {
  it('-o /dev/full: the device stays a device and the exit is 1', () => {
    const r = podmortem(['analyze', LOG, '-o', '/dev/full']);
    expect(r.status).toBe(1);
    expect(oneSentence(r)).toMatch(/\/dev\/full: no space left on device; the report cannot be written/);
    expect(statSync('/dev/full').isCharacterDevice()).toBe(true);
    expect(readdirSync('/dev').filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('-o a folder: refused before the analysis, no temporary file left', () => {
    const folder = join(dir, 'a-folder');
    mkdirSync(folder);
    const r = podmortem(['analyze', LOG, '-o', folder]);
    expect(r.status).toBe(1);
    const line = oneSentence(r);
    expect(line).toMatch(/a-folder: is a directory; the report cannot be written there/);
    expect(line).not.toMatch(/cannot be read/);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('-o in a folder that does not exist', () => {
    const r = podmortem(['analyze', LOG, '-o', join(dir, 'no-such-folder', 'r.txt')]);
    expect(r.status).toBe(1);
    expect(oneSentence(r)).toMatch(
      /no-such-folder\/r\.txt: its folder does not exist; the report cannot be written/,
    );
  });

  it('a write that fails half-way (file size limit) removes its temporary file', () => {
    // RLIMIT_FSIZE of 1 KiB with SIGXFSZ ignored: write() fails with EFBIG after the file exists.
    const out = join(dir, 'limited', 'report.json');
    mkdirSync(join(dir, 'limited'));
    const r = spawnSync(
      'bash',
      [
        '-c',
        `trap '' XFSZ; ulimit -f 1; exec "$0" "$@"`,
        process.execPath,
        CLI,
        'analyze',
        LOG,
        '--format',
        'json',
        '-o',
        out,
      ],
      { cwd: REPO, env: { ...process.env, NO_COLOR: '1' }, encoding: 'utf8', timeout: 120_000 },
    );
    expect(r.status).toBe(1);
    expect(oneSentence(r)).toMatch(/report\.json: .*the report cannot be written/);
    expect(readdirSync(join(dir, 'limited'))).toEqual([]);
  });

  it('standard output on a full disk (/dev/full) is exit 1 with one sentence', () => {
    const fd = openSync('/dev/full', 'w');
    try {
      const r = spawnSync(process.execPath, [CLI, 'analyze', LOG], {
        cwd: REPO,
        env: { ...process.env, NO_COLOR: '1' },
        stdio: ['ignore', fd, 'pipe'],
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(r.status).toBe(1);
      expect(oneSentence(r)).toMatch(
        /standard output: no space left on device; the report cannot be written/,
      );
    } finally {
      closeSync(fd);
    }
  });

  it('a reader that went away (EPIPE) is quiet: exit 0, nothing on stderr', async () => {
    const child = spawn(process.execPath, [CLI, 'analyze', LOG, '--node-root', join(EXAMPLE, 'node')], {
      cwd: REPO,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy(); // as `| head -0` would: the read end is closed before the report is written
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const status = await new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    expect(stderr).toBe('');
    expect(status).toBe(0);
  });
});

describe('collect keeps an existing bundle', () => {
  it('refuses to overwrite without --force, and the file is untouched', async () => {
    const out = join(dir, 'kept.tar.gz');
    writeFileSync(out, 'an earlier bundle');
    const r = await podmortemAsync(['collect', '--kubeconfig', standin.kubeconfig, '-A', '-o', out]);
    expect(r.status).toBe(1);
    expect(oneSentence(r)).toMatch(/kept\.tar\.gz: already exists; pass --force to overwrite it/);
    expect(statSync(out).size).toBe('an earlier bundle'.length);
  });

  it('--force overwrites it', async () => {
    const out = join(dir, 'forced.tar.gz');
    writeFileSync(out, 'an earlier bundle');
    const r = await podmortemAsync([
      'collect',
      '--kubeconfig',
      standin.kubeconfig,
      '-A',
      '-o',
      out,
      '--force',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(statSync(out).size).toBeGreaterThan(1000);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });
});
