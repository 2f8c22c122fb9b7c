// `podmortem fix [INPUT ...]`: a report's confirmed and likely causes as the exact changes: a diff by
// default, files with --out DIR, written on a node with --apply (backups first, nothing restarted
// without --restart).
import { spawnSync } from 'node:child_process';
import { realpathSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { UsageError } from './errors.js';
import { mustBeDir } from './paths.js';
import { parseOutputPath } from './output.js';
import { writeOutputFile, writeStdout } from './write.js';

/**
 * Exit status when the report holds nothing to change. The contract's rule holds for fix too: 0 when
 * the work ran, whatever it found (scripts read `-f json`'s empty change list); 1 is for errors only.
 */
export const NOTHING_TO_FIX = 0;

interface FixCliOptions {
  nodeRoot?: string;
  root?: string;
  uid?: number;
  format: 'diff' | 'json';
  output?: string;
  out?: string;
  force?: boolean;
  apply?: boolean;
  backupDir?: string;
  restart?: boolean;
}

export function fixCommand(): Command {
  return new Command('fix')
    .summary(
      'turn a report into the exact changes: a diff, files (--out DIR), or applied on a node (--apply)',
    )
    .description(
      `Turns the confirmed and likely causes of a report into the exact changes that fix them: the
/etc/sysctl.d file and the running sysctl, the systemd drop-in of the container runtime's unit, the
kubelet's config.yaml (edited, the rest kept), and a kustomize patch or kubectl patch for the
workload's resources. The values are the ones the diagnosis recommends; a limit is only ever raised.

INPUT is a saved JSON report (podmortem analyze ... -f json > report.json, or piped on "-"), with
pod specs to patch the workload; or the same inputs as analyze (logs, pod.yaml, --node-root),
analyzed first. The changes are planned against the node's files under --root (default: the
--node-root given), so a diff shows what changes in the files that are there.`,
    )
    .argument('[INPUT...]', 'a report (-f json), pod specs, or the crash inputs analyze takes')
    .addOption(new Option('--node-root <dir>', 'node evidence for the analysis, as for analyze'))
    .addOption(
      new Option(
        '--root <dir>',
        'the node the changes are for: / on the node, /host in a pod, or a copy of its files (default: --node-root, else / with --apply)',
      ),
    )
    .addOption(
      new Option('--uid <uid>', 'the real UID the crashed process ran as, as for analyze').argParser(
        parseUid,
      ),
    )
    .addOption(
      new Option(
        '-f, --format <format>',
        'diff (a unified diff, for review and patch) or json (the changes, for scripts)',
      )
        .choices(['diff', 'json'])
        .default('diff'),
    )
    .addOption(
      new Option(
        '-o, --output <file>',
        'write the diff or JSON to FILE instead of standard output',
      ).argParser((v) => parseOutputPath(v)),
    )
    .addOption(
      new Option(
        '--out <dir>',
        'write the changed files under DIR (host paths kept, kustomize/, commands.sh)',
      ),
    )
    .addOption(new Option('--force', 'with --out: replace files already there'))
    .addOption(
      new Option(
        '--apply',
        'write the changes under --root (default /, as root only), after a backup of every file',
      ),
    )
    .addOption(
      new Option(
        '--backup-dir <dir>',
        'with --apply: keep the originals here (default <root>/var/backups/podmortem-fix/<time>)',
      ),
    )
    .addOption(
      new Option('--restart', 'with --apply on /: run systemctl daemon-reload and restart the units changed'),
    )
    .addHelpText(
      'after',
      `
Examples:
  # what would change, as a diff (nothing is written)
  podmortem fix calico-node.log pod.yaml --node-root /host
  podmortem analyze crash.log pod.yaml --node-root / -f json > report.json
  podmortem fix report.json --root /                 # planned against this node's files
  podmortem fix report.json pod.yaml -f json | jq '.changes[].path'

  # the files, to review or hand to configuration management
  podmortem fix report.json --root / --out ./fix     # ./fix/etc/sysctl.d/..., ./fix/commands.sh
  podmortem fix report.json --root / --out ./fix --force

  # applied on the node (backups first; nothing restarted without --restart)
  sudo podmortem fix report.json --apply
  sudo podmortem fix report.json --apply --restart   # also systemctl daemon-reload / restart
  podmortem fix crash.log pod.yaml --node-root /host --apply   # in a debug pod, the host at /host
  podmortem fix report.json --apply --root /tmp/node-copy   # a copy: /proc/sys files play sysctl -w

  # the workload: a kustomize patch (kustomize/<kind>-<ns>-<name>.yaml) and its kubectl patch
  podmortem fix report.json pod.yaml --out ./fix    # then in kustomization.yaml:
                                                    #   patches: [{path: fix/kustomize/deployment-shop-checkout.yaml}]

Only confirmed and likely causes are fixed. Causes with no file-shaped fix (a runtime upgrade, a
code change) are listed as not planned.

Exit status: 0 when the plan ran: changes shown, written or applied, or nothing to fix (no confirmed
or likely cause, or every value already in place: said on stderr, and -f json lists no change); 1 for bad usage, an
input or path that cannot be used, a file that would be overwritten without --force, or a write
that failed (one line on stderr).`,
    )
    .action(async (inputs: string[], opts: FixCliOptions) => {
      if (opts.nodeRoot !== undefined) mustBeDir(opts.nodeRoot, '--node-root');
      if (opts.root !== undefined) mustBeDir(opts.root, '--root');
      if (opts.apply && opts.out !== undefined)
        throw new UsageError(
          '--apply and --out: choose one (--out writes files to review, --apply writes them on the node).',
        );
      if (opts.force && opts.out === undefined) throw new UsageError('--force only applies to --out DIR.');
      if (!opts.apply && (opts.restart || opts.backupDir !== undefined))
        throw new UsageError(`${opts.restart ? '--restart' : '--backup-dir'} only applies with --apply.`);
      if (opts.out !== undefined) checkOutDir(opts.out);
      if (opts.backupDir !== undefined) checkOutDir(opts.backupDir, '--backup-dir');
      // The node the changes are for: --root, else the --node-root analyzed (/host in a debug pod),
      // else this machine's / when applying.
      const root = opts.root ?? opts.nodeRoot ?? (opts.apply ? '/' : undefined);
      if (opts.apply && realpathSync(root!) === '/' && process.geteuid?.() !== 0)
        throw new UsageError(
          "--apply writes this node's /etc and /proc/sys: run it as root (sudo podmortem fix ... --apply), or give --root DIR to apply under a copy of a node's files.",
        );
      if ((inputs.length === 0 || inputs.includes('-')) && process.stdin.isTTY)
        process.stderr.write(
          'podmortem: reading a report or a crash log from standard input (paste it, then Ctrl-D); or name it: podmortem fix report.json, podmortem fix crash.log pod.yaml --node-root /\n',
        );
      const { planFix } = await import('../pipeline/fix.js');
      const { FixError } = await import('../fix/types.js');
      const result = await planFix({
        inputs,
        ...(opts.nodeRoot !== undefined ? { nodeRoot: opts.nodeRoot } : {}),
        ...(root !== undefined ? { root } : {}),
        ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
      });
      if (result.inputErrors.length > 0) {
        for (const e of result.inputErrors) process.stderr.write(`podmortem: ${e}\n`);
        // A plan from part of the input could miss a change or apply a wrong one: none is made.
        process.stderr.write('podmortem: no change was planned: give inputs that can all be read.\n');
        process.exitCode = 1;
        return;
      }
      const { plan } = result;
      const { nothingToFix, renderDiff, renderJson, followUp } = await import('../fix/render.js');
      if (plan.changes.length === 0) {
        // What the analysis could not read or recognize is why, often: said before the verdict.
        for (const w of result.warnings) process.stderr.write(`podmortem: ${w}\n`);
        process.stderr.write(`podmortem: ${nothingToFix(plan, result.actionable)}\n`);
        process.exitCode = NOTHING_TO_FIX;
        return;
      }
      try {
        if (opts.out !== undefined) {
          const { writeOut } = await import('../fix/out.js');
          const written = writeOut(plan, opts.out, opts.force === true);
          await writeStdout(
            `${plan.answers.map((a) => `podmortem fix: ${a}`).join('\n')}\nwrote ${written.length} file${written.length === 1 ? '' : 's'}:\n${written.map((w) => `  ${w}`).join('\n')}\n${plan.skipped.map((s) => `not planned: ${s}\n`).join('')}`,
            'the summary',
          );
          return;
        }
        if (opts.apply) {
          const f0 = followUp(plan);
          if (plan.changes.every((c) => c.kind === 'workload-patch')) {
            // Nothing for the node: the fix is the workload's, which --apply never touches.
            process.stderr.write(
              `podmortem: nothing to apply on the node; the fix is the workload's: ${f0.kubectl.join(' ; ')}\n`,
            );
            process.exitCode = NOTHING_TO_FIX;
            return;
          }
          const { applyPlan } = await import('../fix/apply.js');
          const applied = applyPlan(plan, root!, {
            ...(opts.backupDir !== undefined ? { backupDir: opts.backupDir } : {}),
            stamp: new Date()
              .toISOString()
              .replace(/[-:]/g, '')
              .replace(/\.\d+Z$/, 'Z'),
          });
          const f = followUp(plan);
          const lines = [
            ...plan.answers.map((a) => `podmortem fix: ${a}`),
            ...applied.written.map((p) => `applied: ${p}`),
            `backup: ${applied.backupDir} (MANIFEST lists what was modified and created)`,
            ...plan.skipped.map((s) => `not planned: ${s}`),
            ...plan.cautions.map((c) => `caution: ${c}`),
            ...f.kubectl.map((k) => `workload (not applied on a node): ${k}`),
          ];
          await writeStdout(`${lines.join('\n')}\n`, 'the summary');
          await restartUnits(f, root!, opts.restart === true);
          return;
        }
        const text = opts.format === 'json' ? renderJson(plan) : renderDiff(plan);
        if (opts.output !== undefined && opts.output !== '-')
          await writeOutputFile(opts.output, text, 'the fix');
        else await writeStdout(text, 'the fix');
      } catch (err) {
        if (err instanceof FixError) throw new UsageError(err.message);
        throw err;
      }
    });
}

/**
 * The units whose changes take effect on restart. Run only with --restart and only when the root is
 * this machine's /: under a copy there is no systemd of that node to talk to, so they are printed.
 */
async function restartUnits(
  f: { daemonReload: boolean; restarts: string[] },
  root: string,
  restart: boolean,
): Promise<void> {
  const commands = [...(f.daemonReload ? [['daemon-reload']] : []), ...f.restarts.map((u) => ['restart', u])];
  if (commands.length === 0) return;
  const shown = commands.map((c) => `systemctl ${c.join(' ')}`);
  if (!restart) {
    await writeStdout(`to take effect (not run without --restart): ${shown.join(' && ')}\n`, 'the summary');
    return;
  }
  if (realpathSync(root) !== '/') {
    await writeStdout(
      `not run (--root ${root} is not this machine's /, whose systemd would be restarted): ${shown.join(' && ')}\n`,
      'the summary',
    );
    return;
  }
  for (const c of commands) {
    await writeStdout(`running: systemctl ${c.join(' ')}\n`, 'the summary');
    const r = spawnSync('systemctl', c, { stdio: ['ignore', 'inherit', 'inherit'], timeout: 300_000 });
    if (r.error || r.status !== 0)
      throw new UsageError(
        `systemctl ${c.join(' ')} failed (${r.error ? (r.error as NodeJS.ErrnoException).code : `exit ${r.status}`}); the files are written, the backup is kept.`,
      );
  }
}

/** A folder to write into: it may exist (as a folder), or its parent must. */
function checkOutDir(dir: string, flag = '--out'): void {
  try {
    if (!statSync(dir).isDirectory()) throw new UsageError(`${flag} ${dir}: is not a directory.`);
    return;
  } catch (err) {
    if (err instanceof UsageError) throw err;
  }
  mustBeDir(dirname(dir), `${flag} ${dir}: its parent`);
}

function parseUid(v: string): number {
  if (!/^\d{1,10}$/.test(v) || Number(v) > 4294967295)
    throw new InvalidArgumentError('a UID is a number from 0 to 4294967295.');
  return Number(v);
}
