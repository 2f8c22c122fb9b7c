// A real PostgreSQL for benchmarks, started the way test/server/pg-harness.ts starts one for the
// tests (Debian's initdb and pg_ctl, a cluster in a folder owned by an unprivileged user, listening on
// 127.0.0.1 at a free port), but with durable settings (fsync on: an ingest rate without fsync would
// flatter the figures) and the option to keep the data folder, so a second run reuses a million rows
// instead of loading them again. Plain JS: a benchmark runs with node alone.
/* global process */
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function postgresBin() {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (existsSync(join(base, v, 'bin', 'pg_ctl'))) return join(base, v, 'bin');
  return undefined;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * @param {{ dir?: string }} o  dir: a folder to keep the cluster in (created, reused when it holds one);
 *   without it a temporary folder removed by stop().
 */
export async function startPostgres(o = {}) {
  const bin = postgresBin();
  if (!bin) throw new Error('PostgreSQL is not installed (/usr/lib/postgresql/*/bin/pg_ctl).');
  const keep = o.dir !== undefined;
  const dir = keep ? o.dir : mkdtempSync(join(tmpdir(), 'podmortem-bench-pg-'));
  mkdirSync(dir, { recursive: true });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chownSync(dir, 65534, 65534);
  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const readLog = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-4000) : '');
  const run = (cmd, args) => {
    const [file, argv] = asRoot
      ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', join(bin, cmd), ...args]]
      : [join(bin, cmd), args];
    const r = spawnSync(file, argv, {
      encoding: 'utf8',
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', HOME: dir },
      timeout: 300_000,
    });
    if (r.status !== 0)
      throw new Error(`${cmd} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}\n${readLog()}`);
    return r.stdout;
  };
  const reused = existsSync(join(data, 'PG_VERSION'));
  if (!reused)
    run('initdb', ['-D', data, '-U', 'podmortem', '--auth=trust', '-E', 'UTF8', '--no-instructions']);
  const port = await freePort();
  run('pg_ctl', [
    '-D',
    data,
    '-l',
    logFile,
    '-w',
    '-t',
    '120',
    '-o',
    `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c max_connections=50 -c shared_buffers=256MB`,
    'start',
  ]);
  let stopped = false;
  return {
    url: `postgres://podmortem@127.0.0.1:${port}/postgres`,
    reused,
    version: run('pg_ctl', ['--version']).trim(),
    /** psql -c SQL, for EXPLAIN and sizes. */
    psql: (sql) =>
      run('psql', [
        '-h',
        dir,
        '-p',
        String(port),
        '-U',
        'podmortem',
        '-d',
        'postgres',
        '-X',
        '-A',
        '-t',
        '-c',
        sql,
      ]),
    stop: () => {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
      } finally {
        if (!keep) rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
