// shellLine(): a command line shown in a message is one a POSIX shell splits back into the same arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { shellLine } from '../src/cli/quote.js';

const posix = process.platform !== 'win32';

/** The arguments /bin/sh makes of `line`, each as it receives it. */
function splitBySh(line: string): string[] {
  const out = execFileSync('/bin/sh', ['-c', `set -- ${line}; for a in "$@"; do printf '%s\\0' "$a"; done`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

test('plain words stay as they are; anything a shell would read otherwise is single-quoted', () => {
  assert.equal(shellLine(['node', '-e', 'process.exit(5)']), "node -e 'process.exit(5)'");
  assert.equal(shellLine(['sh', '-c', 'exit 3']), "sh -c 'exit 3'");
  assert.equal(shellLine(['make', 'CC=gcc', '--jobs=4', '/tmp/a_b.c', 'user@host:8080,x%y+z']), 'make CC=gcc --jobs=4 /tmp/a_b.c user@host:8080,x%y+z');
  assert.equal(shellLine(['echo', '', "it's"]), "echo '' 'it'\\''s'");
  assert.equal(shellLine(['A=1', 'node']), "'A=1' node", 'a first word with = would be an assignment');
});

test('a shell splits the line back into the same arguments', { skip: !posix }, () => {
  const args = ['printf', '', ' ', 'a b', "it's", '"q"', '$HOME', '`id`', '$(id)', '*', '~', '#x', 'a;b', 'a|b', 'a&b', '<in', '>out',
    'tab\there', 'new\nline', '\\', '!x', '{a,b}', '[ab]', 'é', 'A=1', '-e'];
  assert.deepEqual(splitBySh(shellLine(args)), args);
  assert.deepEqual(splitBySh(shellLine(['A=1', 'x'])), ['A=1', 'x']);
});
