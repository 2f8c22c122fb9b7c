// The report options every reporting command shares (-f/--format, -o/--output, --no-color) and the
// one place a report is rendered and written.
import { Option } from 'commander';
import { FORMATS, render, type Format } from '../report/index.js';
import type { Report } from '../evidence/types.js';
import { useColor } from './color.js';
import { UsageError } from './errors.js';
import { checkWritable, writeOutputFile, writeStdout } from './write.js';

/** The report's formats plus yaml: the JSON model, printed as YAML (as kubectl -o yaml is to -o json). */
export const CLI_FORMATS = [...FORMATS, 'yaml'] as const;
export type CliFormat = (typeof CLI_FORMATS)[number];

export const formatOption = () =>
  new Option(
    '-f, --format <format>',
    'report format: text for people, json for scripts (the contract), yaml (the same model), markdown for tickets, html',
  )
    .choices([...CLI_FORMATS])
    .default('text');

/** What kubectl users type after -o (a format, not a file name), and the format that gives it. */
const FORMAT_FOR: Record<string, CliFormat> = {
  text: 'text',
  txt: 'text',
  wide: 'text',
  name: 'text',
  json: 'json',
  yaml: 'yaml',
  yml: 'yaml',
  markdown: 'markdown',
  md: 'markdown',
  html: 'html',
};
const KUBECTL_TEMPLATES =
  /^(jsonpath|jsonpath-file|jsonpath-as-json|go-template|go-template-file|custom-columns|custom-columns-file|template|templatefile)=/;

export function parseOutputPath(v: string, what = 'the report'): string {
  if (v === '-') return v;
  const format = FORMAT_FOR[v.toLowerCase()];
  if (format && what === 'the report')
    throw new UsageError(
      `-o ${v}: -o names the file to write; for the format use -f ${format} (--format); to write a file named "${v}", give -o ./${v}.`,
    );
  if (KUBECTL_TEMPLATES.test(v))
    throw new UsageError(
      `-o ${v}: podmortem has no templates; use -f json and jq (podmortem ... -f json | jq '.incidents[].causes[0]').`,
    );
  checkWritable(v, what);
  return v;
}

export const outputOption = () =>
  new Option(
    '-o, --output <file>',
    'write the report to FILE instead of standard output (- for stdout)',
  ).argParser((v) => parseOutputPath(v));

export const noColorOption = () =>
  new Option('--no-color', 'no colours in the text report (also NO_COLOR=1; FORCE_COLOR=1 forces them)');

export async function renderFor(report: Report, format: CliFormat, color: boolean): Promise<string> {
  // The YAML library loads only for -f yaml: it is 160 KB of code every other run would compile.
  if (format === 'yaml')
    return (await import('./yaml.js')).stringify(JSON.parse(render(report, 'json', { color: false })), {
      lineWidth: 0,
    });
  return render(report, format as Format, { color });
}

export async function emit(
  report: Report,
  opts: { format: CliFormat; output?: string; color?: boolean },
): Promise<void> {
  const toFile = opts.output !== undefined && opts.output !== '-'; // -o - is standard output
  const color = useColor({
    flag: opts.color !== false,
    toFile,
    isTTY: process.stdout.isTTY === true,
    env: process.env,
  });
  const text = await renderFor(report, opts.format, color);
  if (toFile) await writeOutputFile(opts.output!, text, 'the report');
  else await writeStdout(text, 'the report');
}
