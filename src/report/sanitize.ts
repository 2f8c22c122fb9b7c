// Log text is untrusted: a crashed program can print ANSI escapes that clear the screen, move the
// cursor or set the terminal title. Every string from a log or a host file goes through here before
// it reaches a terminal, a Markdown ticket or HTML.

//
// Unicode formatting characters are as dangerous in a report: a right-to-left override (U+202E) or
// an isolate (U+2066-2069) reorders what a reader sees, so a line can spoof an errno or a path
// ("Trojan Source", CVE-2021-42574); zero-width characters (U+200B-200F, U+2060, U+FEFF) hide text;
// the line and paragraph separators (U+2028, U+2029) break lines where no newline is. They are shown
// as escapes too.

// C0 controls (except tab), DEL and C1 controls (ESC sequences are caught by the C0 range), then the
// bidirectional controls, zero-width characters and Unicode line separators.
const CONTROL =
  /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** Replaces control and invisible formatting characters with visible escapes (\x1b, \n, \u202e ...). */
export function neutralize(text: string): string {
  return text.replace(CONTROL, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    const code = c.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
