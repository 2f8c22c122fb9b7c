// Log text is untrusted: a crashed program can print ANSI escapes that clear the screen, move the
// cursor or set the terminal title. Every string from a log or a host file goes through here before
// it reaches a terminal, a Markdown ticket or HTML.

// C0 controls (except tab), DEL and C1 controls; ESC sequences are caught by the C0 range.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/g;

/** Replaces control characters with visible escapes (\x1b, \n ...), so nothing is hidden or executed. */
export function neutralize(text: string): string {
  return text.replace(CONTROL, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}
