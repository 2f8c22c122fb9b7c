// What the Recognizer says of the container must not depend on the order of the lines: a recorded
// fact (kubectl describe's "Exit Code: 137") beats one a crash line implies (a Go crash exits 2).
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Recognizer } from '../../src/diagnose/recognize.js';
import { prefilterFor } from '../../src/pipeline/prefilter.js';
import { SIGNATURES } from '../../src/knowledge/signatures/index.js';
import { scanStream } from '../../src/sources/logs/scanner.js';

async function recognize(lines: string[]): Promise<Recognizer> {
  const rec = new Recognizer(SIGNATURES);
  await scanStream(
    Readable.from([Buffer.from(lines.join('\n') + '\n')]),
    't.log',
    prefilterFor(SIGNATURES),
    (l) => rec.add(l),
  );
  return rec;
}

const GO = 'runtime: failed to create new OS thread (have 41 already; errno=11)';
const DESCRIBE = [
  '    Last State:     Terminated',
  '      Reason:       OOMKilled',
  '      Exit Code:    137',
];

describe('Recognizer subject facts', () => {
  it('takes the recorded exit code over the implied one, describe text first', async () => {
    const rec = await recognize([...DESCRIBE, GO]);
    expect(rec.subject).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
  });
  it('takes the recorded exit code over the implied one, describe text last', async () => {
    const rec = await recognize([GO, ...DESCRIBE]);
    expect(rec.subject).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
  });
  it('falls back to what the crash implies when nothing is recorded', async () => {
    expect((await recognize([GO])).subject.exitCode).toBe(2);
  });
});
