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
    { message: `pue (from ${join(cwd, '.codecarbon.config')}, line 2 in [DEFAULT]): expected a number > 0 and <= 100, got "high"` });
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

test('interpolation as configparser\'s default: %% is a %, %(key)s another key\'s value from [codecarbon], [DEFAULT] or a CODECARBON_ variable', () => {
  // Expected values are configparser's (Python 3.11) for the same files and variables.
  assert.equal(resolveLocal('[codecarbon]\nproject_name = 50%% done\n').r.values['projectName'], '50% done');
  const text = '[DEFAULT]\nteam = ml\n[codecarbon]\nproject_name = %(team)s-%(Experiment_Name)s\nexperiment_name = run1\n';
  const { r } = resolveLocal(text);
  assert.equal(r.values['projectName'], 'ml-run1');
  // The variable sets experiment_name in the same section: the reference sees it.
  const cwd = tempDir();
  writeFileSync(join(cwd, '.codecarbon.config'), text);
  const withEnv = resolveConfig({}, { cwd, home: tempDir(), env: { CODECARBON_EXPERIMENT_NAME: 'env', CODECARBON_API_KEY: 'a%%b' } });
  assert.equal(withEnv.values['projectName'], 'ml-env');
  assert.equal(withEnv.values['apiKey'], 'a%b');
  // A referenced value is interpolated in turn; continuation lines too. The helper key is unknown: warned, not used.
  const nested = resolveLocal('[DEFAULT]\nrate = 5%%\n[codecarbon]\nproject_name = at %(rate)s\nexperiment_name = multi\n  %(rate)s\n');
  assert.deepEqual([nested.r.values['projectName'], nested.r.values['experimentName']], ['at 5%', 'multi\n5%']);
  assert.match(nested.r.warnings.join('\n'), /unknown configuration key "rate"/);
  // Code arguments are not interpolated (CodeCarbon passes them as they are).
  assert.equal(resolveConfig({ projectName: '100%' }, { cwd: tempDir(), home: tempDir(), env: {} }).values['projectName'], '100%');
});

test('interpolation errors name the key, its file and line (or variable), what is wrong and the fix', () => {
  const fails = (text: string, problem: RegExp) => {
    const cwd = tempDir();
    const file = join(cwd, '.codecarbon.config');
    writeFileSync(file, text);
    assert.throws(() => resolveConfig({}, { cwd, home: tempDir(), env: {} }), (e: Error) => {
      assert.equal(e.name, 'ConfigError');
      assert.ok(e.message.startsWith(`project_name (from ${file}, line 2): `), e.message);
      assert.match(e.message, problem);
      return true;
    });
  };
  fails('[codecarbon]\nproject_name = 100%\n', /: "100%", at character 4, has a "%" followed by neither "%" nor "\("; write "%%" for a literal "%"/);
  fails('[codecarbon]\nproject_name = %(nope)s\n', /refers to "%\(nope\)s", but no key "nope" is set in \[codecarbon\], \[DEFAULT\] or a CODECARBON_ variable; set it, or write "%%"/);
  fails('[codecarbon]\nproject_name = %(project_name)s\n', /"project_name" → .*10 references deep \(a key that refers to itself\?\)/);
  fails('[codecarbon]\nproject_name = %(x)d\n', /: "%\(x\)d", at character 1, has "%\(x\)d", not a reference "%\(key\)s"/);
  // A problem inside a referenced value is said for the key that refers to it, as configparser does.
  const cwd = tempDir();
  const file = join(cwd, '.codecarbon.config');
  writeFileSync(file, '[DEFAULT]\nbase = 5%\n[codecarbon]\nproject_name = %(base)s\n');
  assert.throws(() => resolveConfig({}, { cwd, home: tempDir(), env: {} }), {
    message: `project_name (from ${file}, line 4): "5%", at character 2, has a "%" followed by neither "%" nor "(" (in the value of "base", which it refers to); `
      + 'write "%%" for a literal "%" (configparser\'s syntax, as CodeCarbon reads config files and CODECARBON_* variables)',
  });
  // A stray '%' in a variable: CodeCarbon fails on it too (configparser's read_dict). A secret's value is not shown.
  assert.throws(() => resolveConfig({}, { cwd: tempDir(), home: tempDir(), env: { CODECARBON_API_KEY: 'a%b-s3cret' } }), (e: Error) => {
    assert.match(e.message, /^api_key \(from environment variable CODECARBON_API_KEY\): its value \(a secret, not shown\), at character 2, has a "%" followed by neither/);
    assert.doesNotMatch(e.message, /s3cret/);
    return true;
  });
  assert.throws(() => resolveConfig({}, { cwd: tempDir(), home: tempDir(), env: { CODECARBON_ELECTRICITYMAPS_API_TOKEN: 'tok%(s3cret' } }),
    (e: Error) => /its value \(a secret, not shown\), at character 4, has a "%\(", not a reference/.test(e.message) && !e.message.includes('s3cret'));
  // An unknown key's value is not used: a stray '%' in it is no error (it is warned about as unknown).
  assert.match(resolveLocal('[codecarbon]\nnot_a_key = 100%\n').r.warnings[0]!, /unknown configuration key "not_a_key"/);
});

test('one parser for both files, as CodeCarbon: a [codecarbon] key wins over a [DEFAULT] one in either file; a value overridden is not read', () => {
  const h = tempDir();
  const c = tempDir();
  writeFileSync(join(h, '.codecarbon.config'), '[codecarbon]\npue = 1.5\nwue = high\n[DEFAULT]\nproject_name = home\n');
  writeFileSync(join(c, '.codecarbon.config'), '[DEFAULT]\npue = 1.2\n[codecarbon]\nwue = 1.8\n');
  const r = resolveConfig({}, { cwd: c, home: h, env: {} });
  assert.equal(r.values['pue'], 1.5); // configparser: {'pue': '1.5', ...}
  assert.equal(r.origins['pue'], `${join(h, '.codecarbon.config')}, line 2`);
  assert.equal(r.values['wue'], 1.8); // the home file's "high" is replaced before anything reads it
  assert.equal(r.values['projectName'], 'home');
});
