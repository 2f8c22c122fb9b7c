// Explicit paths given on the command line are checked before any work: a path the user named and
// that cannot be used is exit 1 with one sentence naming the flag, never a warning after the report.
import { statSync, type Stats } from 'node:fs';
import { describeFsError } from '../sources/fs-errors.js';
import { UsageError } from './errors.js';

function statOrFail(path: string, flag: string): Stats {
  try {
    return statSync(path);
  } catch (err) {
    throw new UsageError(`${flag} ${describeFsError(err, path)}`);
  }
}

export function mustBeDir(path: string, flag: string): void {
  if (!statOrFail(path, flag).isDirectory()) throw new UsageError(`${flag} ${path}: is not a directory.`);
}

export function mustBeFile(path: string, flag: string): void {
  const st = statOrFail(path, flag);
  if (st.isDirectory()) throw new UsageError(`${flag} ${path}: is a directory, not a file.`);
}

/**
 * $KUBECONFIG as kubectl reads it: a list of files joined by ":". Each one named must be a readable
 * file, so a typo is one sentence naming it rather than a raw ENOENT/EISDIR from the client.
 */
export function checkKubeconfigEnv(value: string | undefined): void {
  if (!value) return;
  for (const file of value.split(':').filter((f) => f !== '')) mustBeFile(file, '$KUBECONFIG');
}

export function mustBeSocket(path: string, flag: string): void {
  if (!statOrFail(path, flag).isSocket())
    throw new UsageError(
      `${flag} ${path}: is not a socket (give the runtime's socket, e.g. /var/run/docker.sock).`,
    );
}
