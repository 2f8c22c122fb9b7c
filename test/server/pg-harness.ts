// A real PostgreSQL for the tests: Debian's initdb and pg_ctl (on PATH or under
// /usr/lib/postgresql/*/bin), a cluster in a temporary folder owned by an unprivileged user
// (PostgreSQL refuses to run as root), listening on 127.0.0.1 at a free port with its socket in that
// folder, fsync off (a test's data need not survive a power cut). Stopped and removed by stop().
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IN_CI, onPath } from '../prerequisites.js';

/** The folder holding initdb and pg_ctl, or undefined. */
export function postgresBin(): string | undefined {
  if (onPath('initdb') && onPath('pg_ctl')) {
    const r = spawnSync('sh', ['-c', 'dirname "$(readlink -f "$(command -v pg_ctl)")"'], {
      encoding: 'utf8',
    });
    return r.stdout.trim();
  }
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (existsSync(join(base, v, 'bin', 'pg_ctl'))) return join(base, v, 'bin');
  return undefined;
}

/** undefined when PostgreSQL can be started here; else what is missing. */
export function postgresMissing(): string | undefined {
  if (!postgresBin()) return 'PostgreSQL (initdb and pg_ctl, Debian postgresql)';
  if (process.getuid?.() === 0 && !onPath('setpriv'))
    return 'setpriv (util-linux), to run PostgreSQL as nobody';
  return undefined;
}

export { IN_CI };

export interface RunningPostgres {
  url: string;
  /** The server's log, for failure messages. */
  log: () => string;
  /** Stops the server and keeps its data (a database outage); resume() starts it again on the same port. */
  pause: () => void;
  resume: () => void;
  stop: () => void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startPostgres(): Promise<RunningPostgres> {
  const bin = postgresBin();
  if (!bin) throw new Error('PostgreSQL is not installed (initdb and pg_ctl).');
  const dir = mkdtempSync(join(tmpdir(), 'podmortem-pg-'));
  const asRoot = process.getuid?.() === 0;
  // nobody:nogroup on Debian; PostgreSQL wants its data folder owned by the user it runs as.
  if (asRoot) chownSync(dir, 65534, 65534);
  const run = (cmd: string, args: string[]) => {
    const argv = asRoot
      ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', join(bin, cmd), ...args]]
      : [join(bin, cmd), args];
    const r = spawnSync(argv[0] as string, argv[1] as string[], {
      encoding: 'utf8',
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', HOME: dir },
      timeout: 120_000,
    });
    if (r.status !== 0)
      throw new Error(`${cmd} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}${readLog()}`);
  };
  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const readLog = () => (existsSync(logFile) ? `\n${readFileSync(logFile, 'utf8')}` : '');
  run('initdb', [
    '-D',
    data,
    '-U',
    'podmortem',
    '--auth=trust',
    '-E',
    'UTF8',
    '--no-sync',
    '--no-instructions',
  ]);
  const port = await freePort();
  const start = () =>
    run('pg_ctl', [
      '-D',
      data,
      '-l',
      logFile,
      '-w',
      '-t',
      '60',
      '-o',
      `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c max_connections=50`,
      'start',
    ]);
  start();
  let stopped = false;
  return {
    url: `postgres://podmortem@127.0.0.1:${port}/postgres`,
    log: readLog,
    pause: () => run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']),
    resume: start,
    stop: () => {
      if (stopped) return;
      stopped = true;
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
