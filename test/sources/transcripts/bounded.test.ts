// Transcripts are untrusted: a 64 MiB file of hostile lines (escape sequences, NULs, a 5 MiB line,
// thousands of unclosed JSON objects, commands followed by junk) is read through the built CLI. The
// transcript reader reads the first 4 MiB and stops: a pasted fact after that is not read, while the
// crash scanner still reads the whole file and finds the crash on its last line.
import { mkdtempSync, openSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, podmortem } from '../../cli/helpers.js';
import { TRANSCRIPT_BYTES } from '../../../src/sources/transcripts/index.js';

const dir = mkdtempSync(join(tmpdir(), 'podmortem-transcripts-'));
const file = join(dir, 'hostile.md');

/** One MiB of hostile lines, different each time so nothing is a repeat of a whole block. */
function hostileMiB(i: number): Buffer {
  const parts: string[] = [];
  let size = 0;
  let k = 0;
  while (size < 1 << 20) {
    const line = [
      `\x1b[31m$ kubectl get pod -owide\x1b[0m ${i}`,
      `x${k}   1/1   Running   ${'9'.repeat(40)}   3d   <none>   n`,
      '"Key": {',
      '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[',
      `\0\0\x07\x1b]0;title\x07# cat /sys/fs/cgroup/pids/../../${k}/pids.max`,
      `${'a '.repeat(2000)}`,
      'Limit   Soft Limit   Hard Limit   Units',
      `Max processes   ${'1'.repeat(30)}   1   processes`,
      `USER PID COMMAND`,
      `root ${k} [sh] <defunct>`,
    ][k % 10]!;
    parts.push(line);
    size += line.length + 1;
    k++;
  }
  return Buffer.from(parts.join('\n') + '\n');
}

beforeAll(() => {
  ensureBuilt();
  const fd = openSync(file, 'w');
  writeSync(
    fd,
    '$ kubectl -n shop get pod -owide | grep web-0\nweb-0   0/1   CrashLoopBackOff   7   2d   10.1.2.3   node-7   <none>   <none>\n\n',
  );
  writeSync(fd, `${'{'.repeat(5 << 20)}\n`); // one 5 MiB line
  for (let i = 0; i < 59; i++) writeSync(fd, hostileMiB(i));
  // Past the transcript reader's window: a pasted limit it must not read.
  writeSync(fd, '$ cat /proc/sys/kernel/pid_max\n77\n');
  writeSync(
    fd,
    'runtime: failed to create new OS thread (have 12 already; errno=11)\nfatal error: newosproc\n',
  );
  closeSync(fd);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a 64 MiB hostile transcript', () => {
  it('stays bounded: the pasted row is read, a fact past the window is not, the crash at the end is found', () => {
    const run = podmortem(['analyze', file, '--format', 'json']);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout);
    const incident = report.incidents[0];
    expect(incident.subject).toMatchObject({
      namespace: 'shop',
      pod: 'web-0',
      restartCount: 7,
      node: 'node-7',
    });
    expect(incident.signatures.find((s: { id: string }) => s.id === 'go.newosproc')).toBeDefined();
    // pid_max 77 sits past the first TRANSCRIPT_BYTES: no node limit comes from it.
    const limits = (report.node?.limits ?? []) as { id: string; max: number }[];
    expect(limits.find((l) => l.id === 'kernel.pid_max')).toBeUndefined();
    expect(TRANSCRIPT_BYTES).toBeLessThan(64 << 20);
    // The hostile rows gave no limit and no restart count of their own.
    expect(JSON.stringify(incident.notes)).not.toContain('9999999999');
  });
});
