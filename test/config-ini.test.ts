// Config files read as Python's configparser reads them: [DEFAULT] inheritance, continuation lines,
// comment lines, delimiters and case. Expected values are configparser's own (Python 3.11) for the same text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfigText } from '../src/config/ini.js';
import { resolveConfig } from '../src/config/resolve.js';
import { tempDir } from './helpers/sysfs.js';

/** resolveConfig over a working directory holding `text` as its config file, and an empty home. */
function resolveLocal(text: string) {
  const cwd = tempDir();
  const file = join(cwd, '.codecarbon.config');
  writeFileSync(file, text);
  return { file, r: resolveConfig({}, { cwd, home: tempDir(), env: {} }) };
}

test('[DEFAULT] keys are [codecarbon]\'s unless it sets them; the origin names the [DEFAULT] section', () => {
  const { file, r } = resolveLocal('[DEFAULT]\npue = 1.3\nproject_name = d\n[codecarbon]\nproject_name = x\n');
  assert.equal(r.values['pue'], 1.3);
  assert.equal(r.values['projectName'], 'x');
  assert.equal(r.origins['pue'], `${file}, line 2 in [DEFAULT]`);
  assert.equal(r.origins['projectName'], `${file}, line 5`);
  assert.deepEqual(r.warnings, []);
});

test('a wrong [DEFAULT] value: the error names the [DEFAULT] line', () => {
  const cwd = tempDir();
  writeFileSync(join(cwd, '.codecarbon.config'), '[DEFAULT]\npue = high\n[codecarbon]\n');
  assert.throws(() => resolveConfig({}, { cwd, home: tempDir(), env: {} }),
    { message: `pue (from ${join(cwd, '.codecarbon.config')}, line 2 in [DEFAULT]): expected a number > 0, got "high"` });
});

test('[DEFAULT] without [codecarbon] still applies (CodeCarbon merges files into one parser); other sections are still warned about', () => {
  assert.equal(resolveLocal('[DEFAULT]\npue = 1.3\n').r.values['pue'], 1.3);
  const { file, r } = resolveLocal('[DEFAULT]\npue = 1.3\n[CodeCarbon]\nproject_name = mine\n');
  assert.equal(r.values['pue'], 1.3);
  assert.equal(r.values['projectName'], 'codecarbon');
  assert.deepEqual(r.warnings, [`${file} has no [codecarbon] section (it has [CodeCarbon]): its settings are ignored `
    + '(its [DEFAULT] section\'s keys still apply); put them under a line "[codecarbon]" (section names are case-sensitive)']);
});

test('[DEFAULT] may appear twice (configparser allows it), a key twice in it may not', () => {
  assert.deepEqual(parseConfigText('[DEFAULT]\na = 1\n[DEFAULT]\nb = 2\n[codecarbon]\n', 'f'), { a: '1', b: '2' });
  assert.throws(() => parseConfigText('[DEFAULT]\na = 1\n[DEFAULT]\nA = 2\n', 'f'),
    { message: 'a (from f): set twice in [DEFAULT], on lines 2 and 4; keep one of them' });
});

test('continuation lines: an indented line continues the value above, joined with a newline', () => {
  const { r } = resolveLocal('[codecarbon]\nproject_name = multi\n  line\n');
  assert.equal(r.values['projectName'], 'multi\nline');
  // configparser's own results for each text.
  const cases: [string, Record<string, string>][] = [
    ['[codecarbon]\nproject_name = multi\n\n  line\n\n\nb = 2\n', { project_name: 'multi\n\nline', b: '2' }],
    ['[codecarbon]\na = 1\n\n\n', { a: '1' }],
    ['[codecarbon]\n  a = 1\n  b = 2\n   c\n', { a: '1', b: '2\nc' }],
    ['[codecarbon]\na =\n  x\n  # comment\n  y\n', { a: '\nx\ny' }],
    ['[codecarbon]\na = 1\n  [other]\n', { a: '1\n[other]' }],
    ['[codecarbon]\na = 1\n\t\tb = 2\n', { a: '1\nb = 2' }],
    ['[codecarbon]\nk = \n  \n  v\n', { k: '\n\nv' }],
    ['[codecarbon]\nk = v\r\n  w\r\n', { k: 'v\nw' }],
  ];
  for (const [text, expected] of cases) assert.deepEqual(parseConfigText(text, 'f'), expected, JSON.stringify(text));
});

test('an indented line right after a section header is a key, not a continuation', () => {
  assert.deepEqual(parseConfigText('[codecarbon]\n  a = 1\n[other]\n  b = 2\n', 'f'), { a: '1' });
});

test('configparser defaults: comment lines only (no inline comments), = or : (the first wins), keys lower-cased, spaces stripped', () => {
  assert.deepEqual(parseConfigText('# top\n[codecarbon]\n  ; indented comment\na = v ; not a comment # nope\nB : c = d\nE=f:g  \n', 'f'),
    { a: 'v ; not a comment # nope', b: 'c = d', e: 'f:g' });
  assert.deepEqual(parseConfigText('[codecarbon] trailing\nk = v\n', 'f'), { k: 'v' });
});

test('a line that is no key, section or comment is still an error naming the line', () => {
  assert.throws(() => parseConfigText('[codecarbon]\nproject_name = x\nline\n', 'f'),
    { message: 'line 3 (from f): expected "key = value" or "key: value", got "line"' });
  assert.throws(() => parseConfigText('[codecarbon]\n= x\n', 'f'),
    { message: 'line 2 (from f): expected "key = value" or "key: value", got "= x"' });
});
