// The agent as users run it: the built CLI in a child process, its HTTP API on a free port, its
// SQLite file read back with better-sqlite3, and polling helpers that give up with the last state.
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { builtCli } from '../lab/harness/index.js';
import type { IncidentItem } from '../../src/store/types.js';

export interface RunningAgent {
  proc: ChildProcess;
  url: string;
  stderr: () => string;
  /** SIGTERM and wait for the exit status. */
  stop: () => Promise<number | null>;
  /** SIGKILL (a crash of the agent). */
  kill: () => Promise<void>;
}

export async function startAgent(args: string[]): Promise<RunningAgent> {
  const proc = spawn(process.execPath, [builtCli(), 'agent', '--listen', '127.0.0.1:0', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', KUBECONFIG: '', KUBERNETES_SERVICE_HOST: '' },
  });
  let err = '';
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (c: string) => (err += c));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const end = Date.now() + 60_000;
  let port: string | undefined;
  while (!port && Date.now() < end && proc.exitCode === null) {
    port = /serving on [^\s]+:(\d+),/.exec(err)?.[1];
    await sleep(50);
  }
  if (!port) throw new Error(`the agent did not start: ${err}`);
  return {
    proc,
    url: `http://127.0.0.1:${port}`,
    stderr: () => err,
    stop: async () => {
      proc.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `get` until `done` holds; throws with the last value after `ms`. */
export async function until<T>(
  get: () => Promise<T> | T,
  done: (v: T) => boolean,
  ms = 90_000,
  what = 'condition',
): Promise<T> {
  const end = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < end) {
    try {
      last = await get();
      if (done(last)) return last;
    } catch {
      // not there yet
    }
    await sleep(100);
  }
  throw new Error(`${what} not reached within ${ms / 1000} s; last: ${JSON.stringify(last)?.slice(0, 2000)}`);
}

export async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as T };
}

export async function incidents(agent: RunningAgent, query = ''): Promise<IncidentItem[]> {
  const r = await getJson<{ items: IncidentItem[] }>(`${agent.url}/api/v1/incidents?limit=500${query}`);
  return r.body.items;
}

/** What the SQLite file holds, read as a second process would (WAL allows it while the agent writes). */
export function storedRows(
  db: string,
): { id: string; namespace: string; pod: string; top_cause: string | null }[] {
  const d = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return d.prepare('SELECT id, namespace, pod, top_cause FROM incidents').all() as {
      id: string;
      namespace: string;
      pod: string;
      top_cause: string | null;
    }[];
  } finally {
    d.close();
  }
}

/** The value of one series of a counter in a /metrics text, 0 when absent. */
export function series(metrics: string, name: string, labels: Record<string, string>): number {
  for (const line of metrics.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      return Number(line.split(' ').at(-1));
  }
  return 0;
}
