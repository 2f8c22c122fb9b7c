// The standalone HTML page (`--format html`): the web UI's incident page design (the same stylesheet
// and renderer, src/report/page/), in one file with no script and no external asset, so it can be
// attached to a ticket and opened anywhere. Its Content-Security-Policy, in a meta element, allows
// exactly its own stylesheet (by hash) and nothing else: no script, no image, no form, no frame.
import { createRequire } from 'node:module';
import type { Report } from '../evidence/types.js';
import { answerLine, answersOf } from './answer.js';
import { esc } from './page/escape.js';
import { reportBody } from './page/report.js';
import { STYLESHEET } from './page/style.js';

// node:crypto is loaded on the first HTML page, not at import: every command imports this module,
// and loading crypto cost a short run ~15 ms of CPU (bench/README.md, 2026-11-30).
const load = createRequire(import.meta.url);
let csp: string | undefined;
function standaloneCsp(): string {
  if (csp !== undefined) return csp;
  const { createHash } = load('node:crypto') as typeof import('node:crypto');
  const styleHash = createHash('sha256').update(STYLESHEET).digest('base64');
  return (csp = `default-src 'none'; script-src 'none'; style-src 'sha256-${styleHash}'; base-uri 'none'; form-action 'none'`);
}

export function renderHtml(report: Report): string {
  const answers = answersOf(report);
  const title = answers[0] ? `podmortem: ${answerLine(answers[0])}` : 'podmortem report';
  // The head stays on one line so the answer is within the page source's first lines too.
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${standaloneCsp()}"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title><style>${STYLESHEET}</style></head>
<body><main><h1>podmortem report</h1>
${reportBody(report).text}
</main></body></html>
`;
}
