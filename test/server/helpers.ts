// `podmortem server` as users run it: the built CLI in a child process on a free port.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { builtCli } from '../lab/harness/index.js';

export interface RunningServer {
  proc: ChildProcess;
  url: string;
  stderr: () => string;
  /** SIGTERM and wait for the exit status. */
  stop: () => Promise<number | null>;
}

export async function startServer(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunningServer> {
  const proc = spawn(process.execPath, [builtCli(), 'server', '--listen', '127.0.0.1:0', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  let err = '';
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (c: string) => (err += c));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const end = Date.now() + 60_000;
  let port: string | undefined;
  while (!port && Date.now() < end && proc.exitCode === null) {
    port = /serving on [^\s]+:(\d+),/.exec(err)?.[1];
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!port) {
    proc.kill('SIGKILL');
    throw new Error(`the server did not start: ${err}`);
  }
  return {
    proc,
    url: `http://127.0.0.1:${port}`,
    stderr: () => err,
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
}

/** The CLI run to its end (for start-up refusals). */
export function runServerCli(args: string[]) {
  return spawnSync(process.execPath, [builtCli(), 'server', ...args], { encoding: 'utf8', timeout: 60_000 });
}
