// `--out DIR`: the plan as files to review or hand to configuration management. Node files keep
// their host path under DIR (DIR/etc/sysctl.d/90-pid-max.conf, DIR/var/lib/kubelet/config.yaml with
// its whole new content), workload patches go under DIR/kustomize/, and DIR/commands.sh lists what
// is run besides writing files. Nothing is replaced without --force, and nothing is written unless
// every file can be.
import { lstatSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileChanges, followUp, followUpCommands } from './render.js';
import { FixError, type Plan } from './types.js';

export function writeOut(plan: Plan, dir: string, force: boolean): string[] {
  const files = fileChanges(plan).map((c) => ({
    path: join(dir, c.path.replace(/^\/+/, '')),
    text: c.after,
    mode: 0o644,
  }));
  const commands = followUpCommands(followUp(plan));
  if (commands.length > 0)
    files.push({
      path: join(dir, 'commands.sh'),
      text: `#!/bin/sh\n# podmortem fix: run after the files are in place (sysctl -w applies now what the files keep at boot).\nset -e\n${commands.join('\n')}\n`,
      mode: 0o755,
    });
  if (!force) {
    const there = files.filter((f) => exists(f.path)).map((f) => f.path);
    if (there.length > 0)
      throw new FixError(
        `--out ${dir}: ${there.join(', ')} already exist${there.length === 1 ? 's' : ''}; nothing was written (add --force to replace).`,
      );
  }
  for (const f of files) {
    try {
      mkdirSync(dirname(f.path), { recursive: true });
      writeFileSync(f.path, f.text, { mode: f.mode });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      throw new FixError(`--out ${dir}: ${f.path} cannot be written (${code}).`);
    }
  }
  return files.map((f) => f.path);
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
