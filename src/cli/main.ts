#!/usr/bin/env node
// podmortem's entry point: one thin command per subcommand; the work happens in the pipeline.
import { createRequire } from 'node:module';
import { basename } from 'node:path';
import { Command, CommanderError } from 'commander';
import { UsageError } from './errors.js';
import { guardStdout } from './write.js';
import { exitOnSignals } from './interrupt.js';

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

// Never a stack trace for the user: one line, exit 1. PODMORTEM_DEBUG=1 shows the trace for us.
function crash(err: unknown): never {
  const msg = err instanceof Error ? err.message : String(err);
  if (process.env.PODMORTEM_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.stderr.write(
    `podmortem: ${err instanceof UsageError ? msg : `internal error: ${msg} (set PODMORTEM_DEBUG=1 for details)`}\n`,
  );
  process.exit(1);
}
process.on('uncaughtException', crash);

/** A usage error is one line on stderr, with the way to more help in it (the contract: one clear line). */
function oneLine(cmd: string) {
  return (str: string, write: (s: string) => void): void => {
    const msg = str.trim().replace(/^error: /, '');
    write(`podmortem: ${msg} (see ${cmd} --help)\n`);
  };
}
process.on('unhandledRejection', crash);
guardStdout();
// The long-running commands stop cleanly on their own signals; every other one exits at once, clean.
const sub = process.argv.slice(2).find((a) => !a.startsWith('-'));
if (sub !== 'agent' && sub !== 'server') exitOnSignals();
// The cluster walks allocate fast enough for V8 to double its young generation to 32 MiB, a fifth of
// their peak RSS; bounded to 16 MiB they take the same CPU (bench/README-scan.md).
if (sub === 'scan' || sub === 'collect') (await import('./young-generation.js')).boundYoungGeneration();

// Run as kubectl-podmortem (`kubectl podmortem ...`, a kubectl plugin), help and errors say so: the
// npm bin is a link of that name; the krew archive's shell entry point says it in the environment.
const invokedAs = process.env.PODMORTEM_INVOKED_AS ?? basename(process.argv[1] ?? '');
const NAME = invokedAs.startsWith('kubectl-') ? 'kubectl podmortem' : 'podmortem';

// Each command's module (and what it imports) loads only when that command runs: a run named by its
// command needs no other. --help, `help`, no command or an unknown one need them all, in this order.
const COMMANDS: Record<string, () => Promise<Command>> = {
  analyze: async () => (await import('./analyze.js')).analyzeCommand(),
  explain: async () => (await import('./explain.js')).explainCommand(),
  node: async () => (await import('./node.js')).nodeCommand(),
  scan: async () => (await import('./scan.js')).scanCommand(),
  pod: async () => (await import('./pod.js')).podCommand(),
  collect: async () => (await import('./collect.js')).collectCommand(),
  agent: async () => (await import('./agent.js')).agentCommand(),
  server: async () => (await import('./server.js')).serverCommand(),
  fix: async () => (await import('./fix.js')).fixCommand(),
};
function commandsFor(name: string | undefined): (() => Promise<Command>)[] {
  const args = process.argv.slice(2);
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) return [];
  return name !== undefined && Object.hasOwn(COMMANDS, name) ? [COMMANDS[name]!] : Object.values(COMMANDS);
}

const program = new Command(NAME)
  .description(
    'Why did this container crash and restart? podmortem reads what it printed, gathers the evidence that decides between the candidate causes, and says what to change.',
  )
  .version(version)
  .exitOverride()
  .configureOutput({ outputError: oneLine(NAME) })
  .addHelpText(
    'after',
    `
Start here:
  kubectl -n kube-system logs -p calico-node-56bgm | podmortem analyze
  podmortem analyze crash.log pod.yaml --node-root /host     # with the node's evidence
  sudo podmortem node                                         # on a node: crashes and every limit's headroom
  podmortem pod calico-node-56bgm -n kube-system              # one pod through the API
  podmortem scan -A                                           # a whole cluster
  podmortem explain kernel.pid_max                            # what a cause is and how to fix it
  podmortem fix crash.log pod.yaml --node-root /host          # the exact changes, as a diff (--out DIR, --apply)
  kubectl podmortem scan -A                                   # the same, as a kubectl plugin (kubectl-podmortem on PATH)

Reports: -f/--format text|json|yaml|markdown|html, -o/--output FILE (a file name: -o json is refused,
use -f json), --no-color (or NO_COLOR=1; FORCE_COLOR=1 keeps colours in a pipe).
Exit status: 0 when the command ran (whatever it found), 1 for bad usage, a path given that cannot be
used or an output that cannot be written (one line on stderr), 2 when --fail-on matched, 3 when fix
found nothing to fix.`,
  );

for (const cmd of await Promise.all(commandsFor(sub).map((load) => load()))) program.addCommand(cmd);

// addCommand() does not copy these settings to subcommands: usage errors must look the same everywhere.
for (const sub of program.commands) {
  sub.exitOverride().configureOutput({ outputError: oneLine(`${NAME} ${sub.name()}`) });
  // Descriptions are written as paragraphs; commander wraps each line to the terminal itself, so a
  // line break inside a paragraph would leave half-empty lines.
  sub.description(sub.description().replace(/([^\n])\n(?!\n)/g, '$1 '));
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // --help and --version exit 0; usage errors were already printed in one line.
    process.exit(err.exitCode === 0 ? 0 : 1);
  }
  crash(err);
}
