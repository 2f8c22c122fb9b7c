// Whether the text report is coloured. The order follows Node.js itself: --no-color always wins;
// FORCE_COLOR forces colour even into a pipe (FORCE_COLOR=0 or false turns it off) and takes
// precedence over NO_COLOR, as Node does; NO_COLOR (any non-empty value, no-color.org) turns it off;
// otherwise colour on a terminal only. A report written to a file is never coloured.
export function useColor(opts: {
  flag: boolean;
  toFile: boolean;
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
}): boolean {
  if (!opts.flag || opts.toFile) return false;
  const force = opts.env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force.toLowerCase() !== 'false';
  if (opts.env.NO_COLOR) return false;
  return opts.isTTY && opts.env.TERM !== 'dumb';
}
