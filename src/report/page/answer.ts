// The answer block that opens the HTML report and the web UI's incident page: the verdict and cause
// in large type, whose crash it was, the cause's one-sentence proof, and the one command to run
// first (a fix when confirmed or likely, what would decide it otherwise), in a copyable block.
import { commandLabel, verdictPhrase, type Answer } from '../answer.js';
import { html, lines, type Html, type Part } from './escape.js';

/** A command block: dark, monospace, line breaks kept; the UI's script adds a copy button to each. */
export function commandBlock(cmd: string | readonly string[]): Html {
  return html`<div class="cmd"><pre>${lines(cmd)}</pre></div>`;
}

/** One answer; `where` (the UI's node, cluster and times) goes right under the subject. */
export function answerSection(a: Answer, o: { where?: Part; first?: boolean } = {}): Html {
  const why = a.decision === 'confirmed' || a.decision === 'likely' ? a.causes[0]!.summary : undefined;
  const kind = a.commandKind === 'decide' ? 'decide' : 'fix';
  return html`<section class="answer d-${a.decision}" ${o.first ? html` id="answer"` : ''}>
    <p class="verdict">${verdictPhrase(a)}</p>
    <p class="subject">on <b>${a.subject}</b></p>
    ${o.where ?? ''}${why ? html`<p class="summary">${why}</p>` : ''}${
      a.command
        ? html`<div class="${kind}">
            <p class="label">${commandLabel(a)}</p>
            ${commandBlock(a.command)}
          </div>`
        : ''
    }
  </section>`;
}

/** Every answer, confirmed first (a scan's report has one per problem). */
export function answersBlock(answers: Answer[], where?: Part): Html {
  if (answers.length === 0) return html``;
  if (answers.length === 1) return answerSection(answers[0]!, { where, first: true });
  return html`<h2>Answers, confirmed first</h2>
    ${answers.map((a, i) => answerSection(a, { first: i === 0 }))}`;
}
