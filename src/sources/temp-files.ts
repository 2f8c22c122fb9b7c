// Temporary files and folders podmortem creates (collect's staging folder, an extracted bundle, a
// bundle written beside its target before the rename): each is removed where its work ends, and
// every one still registered is removed when the process ends early, by a signal (the CLI's handler
// calls removeAllTemp) or through process.exit, so nothing is left behind in /tmp or beside -o.
import { rmSync } from 'node:fs';

const live = new Set<string>();

/** Registers a temp path; the function returned unregisters it once its owner has removed it. */
export function trackTemp(path: string): () => void {
  live.add(path);
  return () => void live.delete(path);
}

/** Removes every registered temp path now, synchronously (a signal handler cannot wait). */
export function removeAllTemp(): void {
  for (const p of live) {
    try {
      // maxRetries: an extraction's last write may still be landing (ENOTEMPTY, EBUSY).
      rmSync(p, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // nothing more can be done while exiting
    }
  }
  live.clear();
}

process.on('exit', removeAllTemp);
