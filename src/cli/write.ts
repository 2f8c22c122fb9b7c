// Writing what a command produced: to a file atomically (a crash never leaves half a report, and no
// temporary file survives a failure), to a device or pipe in place, or to standard output, where
// only a reader that went away (EPIPE: `podmortem ... | head`) is quiet and every other failure is
// exit 1 with one sentence.
import { randomBytes } from 'node:crypto';
import { lstatSync, realpathSync, statSync } from 'node:fs';
import { rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { trackTemp } from '../sources/temp-files.js';
import { UsageError } from './errors.js';

/** One sentence for a write that failed; `what` is "the report", "the bundle", ... */
export function describeWriteError(err: unknown, path: string, what: string): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const cannot = `${what} cannot be written`;
  switch (code) {
    case 'ENOSPC':
      return `${path}: no space left on device; ${cannot}.`;
    case 'EDQUOT':
      return `${path}: disk quota exceeded; ${cannot}.`;
    case 'EFBIG':
      return `${path}: file too large for this file system or the process's file size limit; ${cannot}.`;
    case 'EISDIR':
      return `${path}: is a directory; ${cannot} there (give a file name).`;
    case 'EACCES':
    case 'EPERM':
      return `${path}: permission denied; ${cannot} (choose a folder you can write to).`;
    case 'EROFS':
      return `${path}: read-only file system; ${cannot}.`;
    case 'ENOENT':
      return `${path}: its folder does not exist; ${cannot}.`;
    case 'ENOTDIR':
      return `${path}: a part of the path is not a directory; ${cannot}.`;
    case 'EIO':
      return `${path}: input/output error; ${cannot}.`;
    default:
      return `${path}: ${cannot} (${code ?? (err instanceof Error ? err.message : String(err))}).`;
  }
}

/**
 * Checked when the flag is parsed, before any work: a folder, or a file in a folder that does not
 * exist, is refused at once instead of after a long scan.
 */
export function checkWritable(path: string, what: string): void {
  const fail = (code: string) => {
    throw new UsageError(describeWriteError({ code }, path, what));
  };
  let st;
  try {
    st = statSync(path);
  } catch {
    // Does not exist yet: its folder must.
    try {
      if (!statSync(dirname(path)).isDirectory()) fail('ENOTDIR');
    } catch (err) {
      if (err instanceof UsageError) throw err;
      fail((err as NodeJS.ErrnoException).code ?? 'ENOENT');
    }
    return;
  }
  if (st.isDirectory()) fail('EISDIR');
}

export async function writeOutputFile(path: string, data: string, what: string): Promise<void> {
  let target = path;
  try {
    // A symlink is followed: the file it points to is replaced, the link stays.
    if (lstatSync(path).isSymbolicLink()) target = realpathSync(path);
  } catch {
    // does not exist (or a dangling link): written at the path given
  }
  let st;
  try {
    st = await stat(target);
  } catch {
    st = undefined;
  }
  try {
    if (st?.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (st && !st.isFile()) {
      // A device or a pipe (/dev/stdout, /dev/null, a FIFO): written in place; renaming a
      // temporary file over it would replace the device.
      await writeFile(target, data);
      return;
    }
    // Beside the target under an unguessable name, created exclusively (a planted file or symlink of
    // that name is never followed) and 0600: a report names pods, nodes and log lines. Removed if the
    // process ends first (temp-files.ts).
    const tmp = join(dirname(target), `.${basename(target)}.${randomBytes(8).toString('hex')}.tmp`);
    const untrack = trackTemp(tmp);
    try {
      await writeFile(tmp, data, { flag: 'wx', mode: 0o600 });
      await rename(tmp, target);
    } finally {
      await rm(tmp, { force: true });
      untrack();
    }
  } catch (err) {
    throw new UsageError(describeWriteError(err, path, what));
  }
}

/** A write error on standard output that is not EPIPE: one sentence, exit 1. */
function stdoutFailed(err: NodeJS.ErrnoException, what: string): never {
  process.stderr.write(`podmortem: ${describeWriteError(err, 'standard output', what)}\n`);
  process.exit(1);
}

/**
 * Every write to standard output (the report, explain's pages, collect's summary) goes through
 * this listener: a reader that went away ends quietly with the exit status already decided.
 */
export function guardStdout(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    // EPIPE, and the writes refused after it: quiet, with the exit status the command decides.
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') return;
    stdoutFailed(err, 'the output');
  });
}

export function writeStdout(data: string, what: string): Promise<void> {
  return new Promise<void>((resolve) => {
    process.stdout.write(data, (err) => {
      if (!err) return resolve();
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED') return resolve(); // nothing to report
      stdoutFailed(err as NodeJS.ErrnoException, what);
    });
  });
}
