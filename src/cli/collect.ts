// `podmortem collect`: what a scan reads, written to a redacted .tar.gz bundle that
// `podmortem analyze BUNDLE` diagnoses offline, on another machine, later.
import { interrupted } from './interrupt.js';
import { createRequire } from 'node:module';
import { Command, Option } from 'commander';
import { ClusterUnreachable } from '../sources/cluster/unreachable.js';
import { existsSync } from 'node:fs';
import { UsageError } from './errors.js';
import { parseOutputPath } from './output.js';
import { describeWriteError } from './write.js';
import {
  addClusterOptions,
  clusterSetup,
  progressLine,
  retryPolicy,
  scanSummary,
  type ClusterFlags,
} from './scan.js';

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

export function collectCommand(): Command {
  const cmd = new Command('collect')
    .summary('write what a scan reads to a redacted .tar.gz bundle for offline analysis')
    .description(
      [
        "Reads the cluster like `scan` (the same flags pick the same containers) and writes a bundle: the API objects read (pods, nodes, owners, events), each crashed container's previous log (bounded), and the node snapshots given with --node-evidence, with a podmortem-bundle.json manifest. `podmortem analyze BUNDLE` gives the same diagnosis offline.",
        'Redaction is on by default: private keys, AWS/GCP/Azure credentials, passwords in connection strings, JWTs, bearer and basic tokens, password/secret/token/key values and the values of secret-looking environment variables are replaced by [REDACTED:<kind>] in logs, objects and snapshots. The manifest counts what was removed, by kind; never the values.',
      ].join('\n\n'),
    );
  addClusterOptions(cmd)
    .addOption(
      new Option('-o, --output <file>', 'the bundle to write')
        .default('podmortem-bundle.tar.gz')
        .argParser((v) => parseOutputPath(v, 'the bundle')),
    )
    .addOption(new Option('--force', 'overwrite the bundle if it exists'))
    .addOption(new Option('--no-redact', 'keep secrets in the bundle (never hand such a bundle over)'))
    .addHelpText(
      'after',
      `
Examples:
  podmortem collect -A -o incident-4711.tar.gz
  podmortem collect -A -o incident-4711.tar.gz --force   # replace an earlier bundle of that name
  podmortem collect -n shop --since 2h --node-evidence ./snapshots -o shop.tar.gz
  podmortem analyze incident-4711.tar.gz            # later, anywhere, no cluster needed
  tar -xzf incident-4711.tar.gz podmortem-bundle.json && jq .redaction podmortem-bundle.json

An existing bundle is never replaced without --force.

Exit status: 0 when the bundle was written, 1 for bad usage, an unreachable cluster, an existing
bundle without --force, or a bundle that cannot be written.`,
    )
    .action(async (opts: ClusterFlags & { output: string; redact: boolean; force?: boolean }) => {
      if (!/\.(tar\.gz|tgz)$/.test(opts.output))
        throw new UsageError(`--output ${opts.output}: a bundle is a .tar.gz (or .tgz) file.`);
      // An earlier bundle may be the only record of an incident: never replaced silently.
      if (existsSync(opts.output) && !opts.force)
        throw new UsageError(
          `${opts.output}: already exists; pass --force to overwrite it, or choose another file with -o.`,
        );
      parseOutputPath(opts.output, 'the bundle'); // the default name is checked like a given one
      const { kc, scope, from } = await clusterSetup(opts);
      // Loaded on use: the Kubernetes client takes a second to import.
      const [{ ClusterApi }, { collectBundle }] = await Promise.all([
        import('../sources/cluster/api.js'),
        import('../sources/bundle/write.js'),
      ]);
      if (!opts.redact) {
        process.stderr.write(
          'podmortem: WARNING: --no-redact: the bundle will contain every secret found in logs and objects. Do not share it.\n',
        );
      }
      const progress = progressLine();
      try {
        const { manifest, evidence, warnings } = await collectBundle(
          new ClusterApi(kc, retryPolicy(opts), interrupted),
          scope,
          {
            output: opts.output,
            redact: opts.redact,
            version,
            ...(opts.nodeEvidence !== undefined ? { nodeEvidenceDir: opts.nodeEvidence } : {}),
            onProgress: progress.update,
          },
        );
        progress.done();
        process.stderr.write(scanSummary(evidence, from));
        for (const w of warnings) process.stderr.write(`podmortem: warning: ${w}\n`);
        const r = manifest.redaction;
        const counts = Object.entries(r.counts)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ');
        process.stdout.write(
          `Wrote ${opts.output}: ${manifest.containers.length} crashed container(s), ${manifest.containers.filter((c) => c.log).length} log(s), ${evidence.pods.length} pod(s), ${evidence.nodes.length} node(s), ${manifest.nodeSnapshots.length} node snapshot(s).\n` +
            (r.enabled
              ? `Redacted ${r.total} value(s)${counts ? `: ${counts}` : ''}.\n`
              : 'NOT redacted (--no-redact).\n') +
            `Analyze it with: podmortem analyze ${opts.output}\n`,
        );
      } catch (err) {
        progress.done();
        if (err instanceof ClusterUnreachable) throw new UsageError(err.message);
        if ((err as NodeJS.ErrnoException)?.code && typeof (err as NodeJS.ErrnoException).code === 'string') {
          throw new UsageError(describeWriteError(err, opts.output, 'the bundle'));
        }
        throw err;
      }
    });
  return cmd;
}
