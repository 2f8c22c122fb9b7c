// `podmortem explain <id>`: the reference page of a cause or a crash signature.
import { Command } from 'commander';
import type { Docs } from '../knowledge/types.js';
import { UsageError } from './errors.js';

export function explainCommand(): Command {
  return new Command('explain')
    .summary('print the reference page of a cause id or signature id')
    .description(
      'Prints what a cause or crash signature is, how to confirm it, how to fix it, and the sources.\nWithout an id, lists every cause and signature id.',
    )
    .argument('[id]', 'a cause id (kernel.pid_max, cgroup.pids, ...) or a signature id (go.newosproc, ...)')
    .action(async (id?: string) => {
      const { CAUSES, causeById } = await import('../knowledge/causes/index.js');
      const { SIGNATURES, signatureById } = await import('../knowledge/signatures/index.js');
      if (!id) {
        const lines = ['Causes:', ...CAUSES.map((c) => `  ${c.id.padEnd(22)} ${c.title}`), '', 'Signatures:'];
        lines.push(...SIGNATURES.map((s) => `  ${s.id.padEnd(30)} ${s.title}`));
        process.stdout.write(lines.join('\n') + '\n');
        return;
      }
      const cause = causeById(id);
      const sig = signatureById(id);
      if (!cause && !sig) throw new UsageError(`unknown id "${id}"; run "podmortem explain" for the list.`);
      const title = cause ? `${cause.id}: ${cause.title}` : `${sig!.id}: ${sig!.title} (${sig!.family})`;
      process.stdout.write(page(title, (cause ?? sig)!.docs));
    });
}

export function page(title: string, d: Docs): string {
  const list = (xs: string[]) => xs.map((x) => `  - ${x}`).join('\n');
  return [
    title,
    '',
    d.what,
    '',
    ...(d.confirm.length ? ['How to confirm:', list(d.confirm), ''] : []),
    ...(d.fix.length ? ['How to fix:', list(d.fix), ''] : []),
    ...(d.sources.length ? ['Sources:', list(d.sources), ''] : []),
  ].join('\n');
}
