// `podmortem node`: post-mortem and headroom audit of the node it runs on (or of a host mounted at
// --root, or of a captured snapshot).
import { Command, Option } from 'commander';
import { realpathSync } from 'node:fs';
import { mustBeDir, mustBeSocket } from './paths.js';
import { UsageError } from './errors.js';
import { gate, failOnOption, type FailOn } from './gate.js';
import { emit, formatOption, noColorOption, outputOption, type CliFormat } from './output.js';

export function nodeCommand(): Command {
  return new Command('node')
    .summary("post-mortem and limit audit of this node (crashed containers, every limit's headroom)")
    .description(
      `Finds the containers whose previous run crashed (the kubelet log folder, and the container
runtime over its socket when there is one), reads the evidence that decides between the causes
before it changes (the restarted process's user, capabilities and limits, the UID's tasks on the
whole node, the pod's pids and memory cgroups, the kernel log lines naming them), diagnoses each
crash, and reports the headroom of every limit of the node with its top consumers.

Nothing under --root is written. Run it as root on the node, or in a pod with the host mounted.`,
    )
    .addOption(
      new Option(
        '--root <dir>',
        'the host filesystem: / on the node, /host in a pod, or a captured snapshot',
      ).default('/'),
    )
    .addOption(new Option('--log-dir <dir>', 'the kubelet pod log folder (default: <root>/var/log/pods)'))
    .addOption(
      new Option(
        '--runtime-endpoint <unix:///path>',
        "the container runtime's socket under --root (CRI: containerd, CRI-O, cri-dockerd; or the Docker Engine API). Default: the first that answers of unix:///run/containerd/containerd.sock, unix:///run/crio/crio.sock, unix:///var/run/cri-dockerd.sock, unix:///var/run/docker.sock",
      ),
    )
    .addOption(
      new Option(
        '--docker-socket <path>',
        'a Docker Engine socket at this path (not under --root)',
      ).conflicts('runtimeEndpoint'),
    )
    .addOption(formatOption())
    .addOption(outputOption())
    .addOption(noColorOption())
    .addOption(failOnOption())
    .addHelpText(
      'after',
      `
Examples:
  sudo podmortem node
  podmortem node --root /host -f json | jq '.node.limits[] | select(.ratio > 0.8)'
  podmortem node --root ./snapshot --log-dir ./snapshot/var/log/pods -f yaml
  sudo podmortem node --runtime-endpoint unix:///run/containerd/containerd.sock
  podmortem node --docker-socket /run/docker.sock -o node-report.md -f markdown

The report names the runtime it read (node.runtime in JSON).

Exit status: 0 when the analysis ran, 1 for bad usage, a --root, --log-dir, --runtime-endpoint or
--docker-socket that cannot be used, or a report that cannot be written, 2 when --fail-on matched.`,
    )
    .action(
      async (opts: {
        root: string;
        logDir?: string;
        runtimeEndpoint?: string;
        dockerSocket?: string;
        format: CliFormat;
        output?: string;
        color: boolean;
        failOn?: FailOn;
      }) => {
        mustBeDir(opts.root, '--root');
        if (opts.logDir !== undefined) mustBeDir(opts.logDir, '--log-dir');
        if (opts.dockerSocket !== undefined) mustBeSocket(opts.dockerSocket, '--docker-socket');
        // Loaded on use: the other commands (and --help) do not pay for the node readers.
        const { nodePostmortem } = await import('../pipeline/node.js');
        const { report, auditWarnings, usageError } = await nodePostmortem({
          root: opts.root,
          ...(opts.logDir !== undefined ? { logDir: realpathSync(opts.logDir) } : {}),
          ...(opts.runtimeEndpoint !== undefined ? { runtimeEndpoint: opts.runtimeEndpoint } : {}),
          ...(opts.dockerSocket !== undefined ? { dockerSocket: opts.dockerSocket } : {}),
        });
        if (usageError !== undefined) throw new UsageError(usageError);
        report.warnings.push(...auditWarnings.map((w) => `headroom: ${w}`));
        await emit(report, opts);
        process.exitCode = gate(report, opts.failOn);
      },
    );
}
