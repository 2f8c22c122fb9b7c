// Writes a snapshot tree (a node's / laid out in a temp folder) from a map of path -> content, so
// fixtures with symlinks, FIFOs and directories-where-files-belong are real filesystem objects.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export type Entry = string | { link: string } | { dir: true } | { fifo: true };

export function writeTree(files: Record<string, Entry>): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'podmortem-snap-'));
  for (const [path, entry] of Object.entries(files)) {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    if (typeof entry === 'string') writeFileSync(full, entry);
    else if ('link' in entry) symlinkSync(entry.link, full);
    else if ('dir' in entry) mkdirSync(full, { recursive: true });
    else execFileSync('mkfifo', [full]);
  }
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}
