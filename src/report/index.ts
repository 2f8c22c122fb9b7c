// One entry point per format; renderers only print the Report model, none decides anything.
import type { Report } from '../evidence/types.js';
import { renderHtml } from './html.js';
import { renderJson } from './json.js';
import { renderMarkdown } from './markdown.js';
import { renderText } from './text.js';

export const FORMATS = ['text', 'json', 'markdown', 'html'] as const;
export type Format = (typeof FORMATS)[number];

export function render(report: Report, format: Format, opts: { color: boolean; width?: number }): string {
  switch (format) {
    case 'json':
      return renderJson(report);
    case 'text':
      return renderText(report, opts);
    case 'markdown':
      return renderMarkdown(report);
    case 'html':
      return renderHtml(report);
  }
}
