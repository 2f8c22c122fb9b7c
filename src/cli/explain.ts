// `podmortem explain <id>`: the reference page of a cause or a crash signature, as text or as data.
import { Command, Option } from 'commander';
import type { Docs } from '../knowledge/types.js';
import { UsageError } from './errors.js';
import { closest } from './suggest.js';
import { writeStdout } from './write.js';

type ExplainFormat = 'text' | 'json' | 'yaml';

export function explainCommand(): Command {
  return new Command('explain')
    .summary('print the reference page of a cause id or signature id')
    .description(
      'Prints what a cause or crash signature is, how to confirm it, how to fix it, and the sources.\nWithout an id, lists every cause and signature id.',
    )
    .argument('[id]', 'a cause id (kernel.pid_max, cgroup.pids, ...) or a signature id (go.newosproc, ...)')
    .addOption(
      new Option('-f, --format <format>', 'text for people; json or yaml for scripts (the same fields)')
        .choices(['text', 'json', 'yaml'])
        .default('text'),
    )
    .addHelpText(
      'after',
      `
Examples:
  podmortem explain                          # every cause and signature id
  podmortem explain kernel.pid_max
  podmortem explain go.newosproc -f json | jq -r '.docs.sources[]'`,
    )
    .action(async (id: string | undefined, opts: { format: ExplainFormat }) => {
      const { CAUSES, causeById } = await import('../knowledge/causes/index.js');
      const { SIGNATURES, signatureById } = await import('../knowledge/signatures/index.js');
      const { stringify } = opts.format === 'yaml' ? await import('./yaml.js') : { stringify: undefined };
      const asData = (v: unknown) =>
        opts.format === 'json' ? JSON.stringify(v, null, 2) + '\n' : stringify!(v, { lineWidth: 0 });
      if (!id) {
        if (opts.format !== 'text') {
          await writeStdout(
            asData({
              causes: CAUSES.map((c) => ({ id: c.id, title: c.title })),
              signatures: SIGNATURES.map((s) => ({ id: s.id, family: s.family, title: s.title })),
            }),
            'the list',
          );
          return;
        }
        const lines = ['Causes:', ...CAUSES.map((c) => `  ${c.id.padEnd(22)} ${c.title}`), '', 'Signatures:'];
        lines.push(...SIGNATURES.map((s) => `  ${s.id.padEnd(30)} ${s.title}`));
        await writeStdout(lines.join('\n') + '\n', 'the list');
        return;
      }
      const cause = causeById(id);
      const sig = signatureById(id);
      if (!cause && !sig) {
        const near = closest(id, [...CAUSES.map((c) => c.id), ...SIGNATURES.map((s) => s.id)]);
        const list = 'run "podmortem explain" for the list.';
        throw new UsageError(
          `unknown id "${id}"; ${near.length > 0 ? `did you mean ${near.join(', ')}? Or ${list}` : list}`,
        );
      }
      if (opts.format !== 'text') {
        const data = cause
          ? { kind: 'cause', id: cause.id, title: cause.title, docs: cause.docs }
          : { kind: 'signature', id: sig!.id, family: sig!.family, title: sig!.title, docs: sig!.docs };
        await writeStdout(asData(data), 'the page');
        return;
      }
      const title = cause ? `${cause.id}: ${cause.title}` : `${sig!.id}: ${sig!.title} (${sig!.family})`;
      await writeStdout(page(title, (cause ?? sig)!.docs), 'the page');
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
