// Lines that are not crashes do not become incidents: a PostgreSQL server logs session-level
// `FATAL:` lines all day (a wrong password ends one connection, the server runs on) and a gRPC
// service logs calls that ended with the status code Aborted. A real PostgreSQL crash (a PANIC, a
// server process killed by a signal) and a real abort() still do. Lines as published (cited).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/pipeline/analyze.js';

/** docker-library/postgres#679 and agam-space/agam-space#34: a healthy server refusing a wrong password. */
const POSTGRES_ROUTINE = [
  '2026-01-10 14:28:12.503 UTC [1] LOG:  starting PostgreSQL 15.15 on x86_64-pc-linux-musl, compiled by gcc (Alpine 15.2.0) 15.2.0, 64-bit',
  '2026-01-10 14:28:12.518 UTC [1] LOG:  database system is ready to accept connections',
  '2020-02-14 17:26:38.505 UTC [62] FATAL:  password authentication failed for user "postgres"',
  '2020-02-14 17:26:38.505 UTC [62] DETAIL:  Password does not match for user "postgres".',
  '        Connection matched pg_hba.conf line 95: "host all all all md5"',
  // timescale/helm-charts#320: clients knocking while the server starts.
  '2021-12-07 18:41:24 UTC [31452]: [61afaad4.7adc-2] postgres@postgres,app=[unknown] [57P03] FATAL:  the database system is starting up',
];

/** docker-library/postgres#248: a WAL write fails, the backend PANICs and the postmaster sees it die. */
const POSTGRES_CRASH = [
  'PANIC:  could not write to file "pg_xlog/xlogtemp.46426": No space left on device',
  'LOG:  server process (PID 46426) was terminated by signal 6: Aborted',
  'DETAIL:  Failed process was running: autovacuum: ANALYZE public.task_instance',
  'LOG:  terminating any other active server processes',
];

/** go-grpc-middleware's request log line ("finished unary call with code " + code) in klog's format. */
const GRPC_REQUESTS = [
  'I0501 10:00:00.123456       1 server.go:88] finished unary call with code OK',
  'I0501 10:00:00.223456       1 server.go:88] finished unary call with code Aborted',
  'I0501 10:00:00.323456       1 server.go:88] finished unary call with code Aborted',
];

let dir: string;
function file(name: string, lines: string[]): string {
  const path = join(dir, name);
  // CRI framing, as the kubelet's log folder holds it.
  writeFileSync(path, lines.map((l) => `2024-05-01T10:00:00.000000000Z stderr F ${l}`).join('\n') + '\n');
  return path;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pm-routine-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function signatureIds(lines: string[], name: string): Promise<string[][]> {
  const { report } = await analyze({ inputs: [file(name, lines)] });
  return report.incidents.map((i) => i.signatures.map((s) => s.id));
}

describe('lines that are not crashes', () => {
  it("makes no incident of a PostgreSQL server's routine session FATALs", async () => {
    expect(await signatureIds(POSTGRES_ROUTINE, 'pg.log')).toEqual([]);
  });

  it('makes no incident of a request log whose calls ended with code Aborted', async () => {
    expect(await signatureIds(GRPC_REQUESTS, 'grpc.log')).toEqual([]);
  });

  it('still reports a real PostgreSQL crash among the routine lines, and not as a generic FATAL', async () => {
    const { report } = await analyze({
      inputs: [file('pg-crash.log', [...POSTGRES_ROUTINE, ...POSTGRES_CRASH])],
    });
    expect(report.incidents).toHaveLength(1);
    const hits = report.incidents[0]!.signatures;
    expect(hits.map((s) => s.id)).toEqual(['generic.postgres-crash']);
    expect(hits[0]!.count).toBe(2);
    expect(hits[0]!.fields).toMatchObject({
      message: 'could not write to file "pg_xlog/xlogtemp.46426": No space left on device',
      signal: 6,
      signalName: 'Aborted',
    });
  });

  it('still reports a real abort among the request lines', async () => {
    // homebridge/homebridge#3902: the shell's report of the process's abort().
    const ids = await signatureIds([...GRPC_REQUESTS, 'Aborted (core dumped)'], 'grpc-abort.log');
    expect(ids).toEqual([['generic.abort']]);
  });
});
