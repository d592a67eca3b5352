// Configuration: CodeCarbon's precedence, configparser's syntax, typed values and clear errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveConfig } from '../src/config/resolve.js';
import { parseConfigText } from '../src/config/ini.js';
import { tempDir } from './helpers/sysfs.js';

function dirs(home: string | null, local: string | null) {
  const h = tempDir();
  const c = tempDir();
  if (home !== null) writeFileSync(join(h, '.codecarbon.config'), home);
  if (local !== null) writeFileSync(join(c, '.codecarbon.config'), local);
  return { home: h, cwd: c };
}

test('precedence: argument > env > ./.codecarbon.config > ~/.codecarbon.config > default', () => {
  const where = dirs('[codecarbon]\nproject_name = home\nexperiment_name = home\nmeasure_power_secs = 3\npue = 1.5\n',
    '[codecarbon]\nproject_name = local\nexperiment_name = local\nmeasure_power_secs = 4\n');
  const env = { CODECARBON_PROJECT_NAME: 'env', codecarbon_experiment_name: 'env' };
  const r = resolveConfig({ projectName: 'arg' }, { ...where, env });
  assert.equal(r.values['projectName'], 'arg');
  assert.equal(r.values['experimentName'], 'env');
  assert.equal(r.values['measurePowerSecs'], 4);
  assert.equal(r.values['pue'], 1.5);
  assert.equal(r.values['outputFile'], 'emissions.csv');
  assert.deepEqual([r.origins['projectName'], r.origins['experimentName'], r.origins['outputFile']],
    ['argument', 'environment variable codecarbon_experiment_name', 'default']);
  assert.equal(r.origins['measurePowerSecs'], `${join(where.cwd, '.codecarbon.config')}, line 4`);
});

test('configparser syntax: key: value, comment lines, ; inside values, keys in any case, True', () => {
  const text = '; a comment\n# another\n[codecarbon]\nProject_Name: my;project#1\nSAVE_TO_FILE = True\n[other]\nproject_name = no\n';
  assert.deepEqual(parseConfigText(text, 'f'), { project_name: 'my;project#1', save_to_file: 'True' });
  const r = resolveConfig({}, { ...dirs(null, text), env: {} });
  assert.equal(r.values['projectName'], 'my;project#1');
  assert.equal(r.values['saveToFile'], true);
});

test('booleans: true/false/1/0/yes/no/on/off; anything else names file, key, value and form', () => {
  for (const [text, value] of [['On', true], ['0', false], ['no', false], ['YES', true]] as const) {
    assert.equal(resolveConfig({}, { ...dirs(null, null), env: { CODECARBON_SAVE_TO_API: text } }).values['saveToApi'], value);
  }
  const where = dirs(null, '[codecarbon]\nsave_to_file = local-overwrite\n');
  assert.throws(() => resolveConfig({}, { ...where, env: {} }), {
    name: 'ConfigError',
    message: `save_to_file (from ${join(where.cwd, '.codecarbon.config')}, line 2): expected true or false (also 1/0, yes/no, on/off), got "local-overwrite"`,
  });
});

test('typed values: numbers, enums and lists; errors say the expected form', () => {
  const env = { CODECARBON_GPU_IDS: '0, GPU-1234 ,', CODECARBON_TRACKING_MODE: 'Process', CODECARBON_API_CALL_INTERVAL: '-1' };
  const r = resolveConfig({ wue: 1.8 }, { ...dirs(null, null), env });
  assert.deepEqual([r.values['gpuIds'], r.values['trackingMode'], r.values['apiCallInterval'], r.values['wue']], [['0', 'GPU-1234'], 'process', -1, 1.8]);
  // gpu_ids as CodeCarbon cleans it: only letters, digits and '-' (a Python list's brackets and quotes go).
  const listed = dirs(null, '[codecarbon]\ngpu_ids = [0, \'GPU-5f1c\']\n');
  assert.deepEqual(resolveConfig({}, { ...listed, env: {} }).values['gpuIds'], ['0', 'GPU-5f1c']);
  assert.throws(() => resolveConfig({}, { ...dirs(null, null), env: { CODECARBON_PUE: '0' } }),
    { message: 'pue (from environment variable CODECARBON_PUE): expected a number > 0 and <= 100, got "0"' });
  assert.throws(() => resolveConfig({ onCsvWrite: 'replace' }, { ...dirs(null, null), env: {} }),
    { message: 'onCsvWrite (from argument): expected one of "append", "update", got "replace"' });
});

test('unknown keys: a warning with the closest key from files and env, an error from arguments', () => {
  const where = dirs('[codecarbon]\nprojet_name = x\n', null);
  const r = resolveConfig({}, { ...where, env: { CODECARBON_MEASURE_POWER_SEC: '3' } });
  assert.deepEqual(r.warnings, [
    `unknown configuration key "projet_name" in ${join(where.home, '.codecarbon.config')}, line 2 is ignored; did you mean "project_name"?`,
    'unknown configuration key "measure_power_sec" in environment variable CODECARBON_MEASURE_POWER_SEC is ignored; did you mean "measure_power_secs"?',
  ]);
  assert.throws(() => resolveConfig({ projectNmae: 'x' }, { ...dirs(null, null), env: {} }),
    { message: 'projectNmae (from argument): unknown option; did you mean "projectName"?' });
});

test('the deprecated co2_signal_api_token still sets electricitymaps_api_token', () => {
  const r = resolveConfig({}, { ...dirs(null, '[codecarbon]\nco2_signal_api_token = abc\n'), env: {} });
  assert.equal(r.values['electricitymapsApiToken'], 'abc');
});
