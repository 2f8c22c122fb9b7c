// `podmortem analyze [INPUT ...]`: the post-mortem of crash output.
import { Command, InvalidArgumentError, Option } from 'commander';
import { emit, formatOption, noColorOption, outputOption, type CliFormat } from './output.js';
import { mustBeDir } from './paths.js';
import { gate, failOnOption, type FailOn } from './gate.js';

export function analyzeCommand(): Command {
  return new Command('analyze')
    .summary('post-mortem of crash output (logs, kubelet log folders, bundles)')
    .description(
      `Reads what a crashed container printed, recognizes the crash, weighs every candidate cause
against the evidence available, and reports verdicts with their proof and the fix.

INPUT is a log file (plain text, CRI or Docker json-file lines, detected per line; gzipped logs
such as the kubelet's 0.log.<timestamp>.gz rotations are decompressed, up to 256 MiB each), a folder
(a kubelet pod log folder such as /var/log/pods, or a bundle), a .tar.gz bundle, a Pod as YAML or
JSON (kubectl get pod -o yaml: it tells the user, privileges and restarts of the container), or "-"
for standard input (the default; a log, gzip, or a pod spec, told apart by their content).`,
    )
    .argument('[INPUT...]', 'logs, folders, bundles, pod specs, or - for stdin')
    .addOption(
      new Option(
        '--node-root <dir>',
        'read node evidence under DIR: / on the node, /host in a pod, or a captured snapshot',
      ),
    )
    .addOption(
      new Option(
        '--uid <uid>',
        'the real UID the crashed process ran as (0 rules out RLIMIT_NPROC)',
      ).argParser(parseUid),
    )
    .addOption(formatOption())
    .addOption(outputOption())
    .addOption(noColorOption())
    .addOption(failOnOption())
    .addHelpText(
      'after',
      `
Examples:
  kubectl -n kube-system logs -p calico-node-56bgm | podmortem analyze
  kubectl -n kube-system get pod calico-node-56bgm -o yaml | podmortem analyze calico-node.log -
  podmortem analyze calico-node.log pod.yaml --node-root /host
  podmortem analyze /var/log/pods/kube-system_calico-node-56bgm_*/calico-node/   # .gz rotations too
  podmortem analyze /var/log/pods -f markdown -o incident.md
  podmortem analyze crash.log -f json | jq '.incidents[].causes[0]'
  podmortem analyze crash.log -f yaml
  podmortem analyze crash.log --no-color             # plain on a terminal, as NO_COLOR=1 does
  FORCE_COLOR=1 podmortem analyze crash.log | less -R # colours kept in a pipe

-o takes a file name; the format is -f (-o json is refused rather than writing a file named json).

Exit status: 0 when the analysis ran, 1 for bad usage, unreadable input, a --node-root that cannot
be used or a report that cannot be written, 2 when --fail-on matched.`,
    )
    .action(
      async (
        inputs: string[],
        opts: {
          nodeRoot?: string;
          uid?: number;
          format: CliFormat;
          output?: string;
          color: boolean;
          failOn?: FailOn;
        },
      ) => {
        if (opts.nodeRoot !== undefined) mustBeDir(opts.nodeRoot, '--node-root');
        const readsStdin = inputs.length === 0 || inputs.includes('-');
        // A terminal on stdin means nothing was piped: say what is awaited instead of waiting silently.
        if (readsStdin && process.stdin.isTTY)
          process.stderr.write(
            "podmortem: reading the crashed container's log from standard input (paste it, then Ctrl-D); or pipe it: kubectl logs -p POD | podmortem analyze, or name files: podmortem analyze crash.log pod.yaml\n",
          );
        // Loaded here, not at start-up: `podmortem --help` and the other commands do not pay for it.
        const { analyze } = await import('../pipeline/analyze.js');
        const { report, inputErrors } = await analyze({
          inputs,
          ...(opts.nodeRoot !== undefined ? { nodeRoot: opts.nodeRoot } : {}),
          ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
        });
        for (const e of inputErrors) process.stderr.write(`podmortem: ${e}\n`);
        await emit(report, opts);
        // An unreadable input is exit 1 even when the others were analyzed (the contract).
        process.exitCode = inputErrors.length > 0 ? 1 : gate(report, opts.failOn);
      },
    );
}

function parseUid(v: string): number {
  if (!/^\d{1,10}$/.test(v) || Number(v) > 4294967295)
    throw new InvalidArgumentError('a UID is a number from 0 to 4294967295.');
  return Number(v);
}
