// `codecarbon config` says what a tracker in the same folder would warn about (first, on stderr) and refuse (last, exit 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { hideCredentials } from '../src/output/select.js';
import { tempDir } from './helpers/sysfs.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

/** `codecarbon config …` in a folder holding `text` as ./.codecarbon.config, with an empty home. */
async function config(text: string, args: string[] = [], env: Record<string, string> = {}) {
  const dir = tempDir('cc-config-');
  writeFileSync(join(dir, '.codecarbon.config'), text);
  const r = await run(process.execPath, [cli, 'config', ...args], { cwd: dir, env: { PATH: process.env['PATH'], HOME: tempDir(), ...env } });
  return { ...r, file: join(dir, '.codecarbon.config') };
}

test('no [codecarbon] section: the warning a tracker prints, on stderr before the table; the table\'s first line is a key', async () => {
  const { stdout, stderr, file } = await config('[CodeCarbon]\nproject_name = mine\n');
  assert.equal(stderr, `warning: ${file} has no [codecarbon] section (it has [CodeCarbon]): its settings are ignored; `
    + 'put them under a line "[codecarbon]" (section names are case-sensitive)\n');
  assert.match(stdout.split('\n')[0]!, /^project_name +codecarbon +default$/);
});

test('the outputs\' warnings a tracker gives at its start are said too (text and --json)', async () => {
  const { stderr } = await config('[codecarbon]\noutput_methods = csv,boamps\n');
  assert.match(stderr, /^warning: the boamps output is not supported by this port yet: it is ignored; the supported ones are /);
  const json = JSON.parse((await config('', ['--json'], { CODECARBON_OUTPUT_METHODS: 'csv,logfire' })).stdout) as { warnings: string[] };
  assert.equal(json.warnings.length, 1);
  assert.match(json.warnings[0]!, /^the logfire output is not supported by this port yet: it is ignored/);
});

test('a clean folder: no warnings at all', async () => {
  const { stderr } = await config('[codecarbon]\nproject_name = clean\n');
  assert.equal(stderr, '');
});

test('a value a tracker would refuse: the table still, then the error with the file and line it came from, exit 2 (--json: error, exit 2)', async () => {
  const failed = await config('[codecarbon]\ncountry_iso_code = USA\nregion = atlantis\n').then(() => null, (e: { code: number; stdout: string; stderr: string }) => e);
  assert.ok(failed !== null, 'config exited 0');
  assert.equal(failed.code, 2);
  assert.match(failed.stdout, /^region +atlantis +\/.*\.codecarbon\.config, line 3$/m);
  assert.match(failed.stderr, /^codecarbon: a tracker here would refuse this configuration: region \(from \/.*\/\.codecarbon\.config, line 3\): unknown US state "atlantis"; closest: /);
  const json = await config('[codecarbon]\ncountry_iso_code = Atlantis\n', ['--json']).then(() => null, (e: { code: number; stdout: string }) => e);
  assert.equal(json?.code, 2);
  assert.match((JSON.parse(json!.stdout) as { error: string }).error, /^country_iso_code \(from .*, line 2\): unknown country "Atlantis"/);
  const fine = JSON.parse((await config('[codecarbon]\ncountry_iso_code = USA\nregion = texas\n', ['--json'])).stdout) as { error: string | null };
  assert.equal(fine.error, null);
});

test('one line per key: a continued value is quoted; location_cache_file shows the cache file the tracker will use, "" when off', async () => {
  const home = tempDir();
  const dir = tempDir('cc-config-');
  writeFileSync(join(dir, '.codecarbon.config'), '[codecarbon]\nproject_name = one\n  two\n');
  const env = { PATH: process.env['PATH'], HOME: home, XDG_CACHE_HOME: join(home, 'cache') };
  const { stdout } = await run(process.execPath, [cli, 'config'], { cwd: dir, env });
  assert.equal(stdout.split('\n').length, 1 + stdout.split('\n').filter((l) => /^[a-z_0-9]+ {2,}/.test(l)).length, stdout);
  assert.match(stdout, /^project_name +"one\\ntwo" +\/.*, line 2$/m);
  assert.match(stdout, new RegExp(`^location_cache_file +${join(home, 'cache', 'codecarbon', 'location.json')} +default$`, 'm'));
  const off = await run(process.execPath, [cli, 'config'], { cwd: dir, env: { ...env, CODECARBON_LOCATION_CACHE_FILE: '' } });
  assert.match(off.stdout, /^location_cache_file +"" +environment variable CODECARBON_LOCATION_CACHE_FILE$/m);
});

test('a URL\'s user:password is masked in the table, as a secret key is; the API identity warning names its file and line', async () => {
  const { stdout, stderr, file } = await config('[codecarbon]\nemissions_endpoint = https://hook:s3cret-pass@example.test/in\n'
    + 'prometheus_url = ops:gw-pass@gw.example:9091\nsave_to_api = true\nexperiment_id = my-exp\n');
  assert.match(stdout, /^emissions_endpoint +https:\/\/\*\*\*\*@example\.test\/in +/m);
  assert.match(stdout, /^prometheus_url +\*\*\*\*@gw\.example:9091 +/m);
  assert.ok(!stdout.includes('s3cret-pass') && !stdout.includes('gw-pass'));
  assert.ok(stderr.includes(`the API output is on for experiment_id my-exp (from ${file}, line 5) but api_key is not set`), stderr);
});

test('a URL\'s user:password is masked up to the last @ before the path, as the URL parser reads it; an @ in the path is left', () => {
  assert.equal(hideCredentials('https://user:p@ss@hooks.example.com/x'), 'https://****@hooks.example.com/x');
  assert.equal(hideCredentials('ops:gw@gw.example:9091'), '****@gw.example:9091');
  assert.equal(hideCredentials('https://hooks.example.com/a@b'), 'https://hooks.example.com/a@b');
});
