// One folder for the whole test run, shared by every worker: the lab's Go program is built into it
// once (by whichever lab test asks first) and it is removed when the run ends.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    labRunDir: string;
  }
}

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'podmortem-lab-run-'));
  chmodSync(dir, 0o755); // the lab runs the program as unprivileged UIDs too
  project.provide('labRunDir', dir);
  return () => rmSync(dir, { recursive: true, force: true });
}
