// Command lines as a POSIX shell reads them, for messages that show one to paste back.

/** What a shell word may hold unquoted: nothing it would expand, split or take as syntax. */
const plain = /^[\w@%+=:,./-]+$/;

/**
 * `args` as one line that a POSIX shell splits back into them: each argument that needs it in
 * single quotes (a quote inside as '\''), the empty one as ''. A first word holding `=` is quoted
 * too: unquoted, the shell would take it for a variable assignment.
 */
export function shellLine(args: readonly string[]): string {
  return args.map((a, i) => (plain.test(a) && !(i === 0 && a.includes('=')) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ');
}
