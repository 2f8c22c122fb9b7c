// Writing the report: to a file atomically (a crash never leaves half a report), or to stdout, where
// a closed pipe (podmortem ... | head) ends quietly instead of with EPIPE.
import { rename, writeFile } from 'node:fs/promises';
import { Option } from 'commander';
import { FORMATS, render, type Format } from '../report/index.js';
import type { Report } from '../evidence/types.js';
import { describeFsError } from '../sources/fs-errors.js';
import { UsageError } from './errors.js';

export const formatOption = () =>
  new Option(
    '--format <format>',
    'report format: text for people, json for scripts (the contract), markdown for tickets, html',
  )
    .choices([...FORMATS])
    .default('text');

export const outputOption = () =>
  new Option('-o, --output <file>', 'write the report to FILE instead of standard output');

export async function emit(
  report: Report,
  opts: { format: Format; output?: string; color?: boolean },
): Promise<void> {
  const toFile = opts.output !== undefined;
  const color = !toFile && (opts.color ?? (process.stdout.isTTY === true && !process.env.NO_COLOR));
  const text = render(report, opts.format, { color });
  if (toFile) {
    const tmp = `${opts.output}.tmp-${process.pid}`;
    try {
      await writeFile(tmp, text);
      await rename(tmp, opts.output!);
    } catch (err) {
      throw new UsageError(`cannot write the report: ${describeFsError(err, opts.output!)}`);
    }
    return;
  }
  await new Promise<void>((resolve) => {
    process.stdout.on('error', () => resolve()); // EPIPE: the reader went away; nothing to report
    process.stdout.write(text, () => resolve());
  });
}
