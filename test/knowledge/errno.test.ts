// errno in any form (src/knowledge/errno.ts) and what the recognition makes of it, through the real
// scanner, prefilter and Recognizer: the same failed thread creation printed with a number, a name or
// a glibc, musl or BSD strerror text gives the same errno; an errno that no resource limit returns
// (EINVAL, EBADF) is recognized but raises no limit (issue 9 item 3); a line that is not a limit
// (DNS) raises nothing whatever it says.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Recognizer } from '../../src/diagnose/recognize.js';
import type { SignatureHit } from '../../src/evidence/types.js';
import { CONTRACT_CAUSE_IDS } from '../../src/knowledge/cause-ids.js';
import { errnoFromGroups, errnoFromMessage, errnoFromName, errnoPattern } from '../../src/knowledge/errno.js';
import { SIGNATURES, signatureById } from '../../src/knowledge/signatures/index.js';
import { prefilterFor } from '../../src/pipeline/prefilter.js';
import { scanStream } from '../../src/sources/logs/scanner.js';

/** Every contract cause but the runtime's own heap, which no errno speaks for. */
const LIMITS = new Set<string>(CONTRACT_CAUSE_IDS.filter((id) => id !== 'runtime.heap'));

async function recognize(lines: string[]): Promise<SignatureHit[]> {
  const rec = new Recognizer(SIGNATURES);
  const body = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
  await scanStream(Readable.from([body]), 'case.log', prefilterFor(SIGNATURES), (line) => rec.add(line));
  return rec.result();
}

function raisedBy(hits: SignatureHit[]): string[] {
  return hits.flatMap((h) =>
    signatureById(h.id)!
      .raises(h.fields)
      .map((r) => r.cause),
  );
}

describe('errno texts of every C library', () => {
  it('maps glibc, musl (old and new), BSD, libuv and newlib wordings to the Linux number', () => {
    expect(errnoFromMessage('Resource temporarily unavailable')).toBe(11); // glibc, musl, BSD
    expect(errnoFromMessage('Operation would block')).toBe(11); // musl < 1.1
    expect(errnoFromMessage('Out of memory')).toBe(12); // musl
    expect(errnoFromMessage('not enough memory')).toBe(12); // libuv
    expect(errnoFromMessage('Not enough space')).toBe(12); // newlib
    expect(errnoFromMessage('No file descriptors available')).toBe(24); // musl EMFILE
    expect(errnoFromMessage('File table overflow')).toBe(23); // musl < 1.1, libuv
    expect(errnoFromMessage('Bad file number')).toBe(9); // musl < 1.1
    expect(errnoFromMessage('No error information')).toBeUndefined(); // musl: no text for the number
    expect(errnoFromName('-EAGAIN')).toBe(11);
    expect(errnoFromName('Errno::EMFILE')).toBe(24);
  });

  it('finds the errno after a failed call whatever its form, and takes no bare number', () => {
    const re = new RegExp(errnoPattern());
    const of = (s: string): number | undefined => {
      const m = re.exec(s);
      return m ? errnoFromGroups(m.groups) : -1;
    };
    expect(of('failed with error 11')).toBe(11);
    expect(of('(errno= 11)')).toBe(11);
    expect(of('returned 12')).toBe(12);
    expect(of('(os error 11)')).toBe(11);
    expect(of('code generic:11')).toBe(11);
    expect(of('failed (EAGAIN)')).toBe(11);
    expect(of('rc=-EPERM')).toBe(1);
    expect(of(': No file descriptors available')).toBe(24);
    expect(of(': resource  temporarily unavailable')).toBe(11); // a wrapped paste doubles a space
    expect(of('for thread 3 of 8')).toBe(-1);
    expect(of('(12 threads)')).toBe(-1); // a count in parentheses is no errno
    expect(of('returned 0')).toBe(-1); // 0 is success
  });
});

describe('the same failure in every wording', () => {
  const eagain = [
    '0 0 0 pthread_create(): Resource temporarily unavailable', // 3proxy
    'lmtp: Error: Thread::try_create(): pthread_create failed with error 11', // Ceph
    'ERROR; return code from pthread_create() is 11',
    "Can't create a new thread (errno 11); if you are not out of available memory",
    'cant create thread, errno=11, Resource temporarily unavailable',
    'std exception detected: Resource temporarily unavailable', // DP3
    'Caught system_error with code generic:11 meaning Resource temporarily unavailable',
  ];
  for (const line of eagain) {
    it(`raises the task limits for: ${line}`, async () => {
      const hits = await recognize([line]);
      expect(hits.length, 'recognized').toBeGreaterThan(0);
      expect(hits.some((h) => h.fields.errno === 11)).toBe(true);
      expect(raisedBy(hits)).toEqual(expect.arrayContaining(['cgroup.pids', 'rlimit.nproc']));
    });
  }

  it('keeps every suspect open when musl has no text for the errno', async () => {
    const hits = await recognize(['pthread_create: No error information']);
    expect(hits.map((h) => h.id)).toContain('glibc.pthread-create');
    expect(raisedBy(hits)).toEqual(expect.arrayContaining(['cgroup.pids', 'seccomp.clone3']));
  });
});

describe('a line that names no failure is not a crash', () => {
  for (const line of ['pthread_create returned 0 for worker 3', 'pthread_create (12 threads) done']) {
    it(`does not recognize: ${line}`, async () => {
      expect((await recognize([line])).map((h) => h.id)).toEqual([]);
    });
  }
});

describe('an errno no resource limit returns raises no limit', () => {
  const lines = [
    'pthread_create failed: Invalid argument', // EINVAL: a bad attribute
    'Failed to create thread #2: Bad file descriptor',
    'curl: (6) Could not resolve host: someserver', // DNS
  ];
  for (const line of lines) {
    it(`recognizes and raises nothing for: ${line}`, async () => {
      const hits = await recognize([line]);
      expect(hits.length, 'recognized').toBeGreaterThan(0);
      expect(raisedBy(hits).filter((c) => LIMITS.has(c))).toEqual([]);
    });
  }
});
