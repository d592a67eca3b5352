// Faults in config files: no [codecarbon] section, bytes that are not text, keys set twice.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveConfig } from '../src/config/resolve.js';
import { graceMs } from '../src/emissions/geolocate.js';
import { OfflineEmissionsTracker } from '../src/offline.js';
import { RingWriter } from '../src/sampler/ring.js';
import { tempDir } from './helpers/sysfs.js';

/** A home and a working directory, each with the given config file (or none), removed after the test. */
function dirs(t: TestContext, home: string | Buffer | null, local: string | Buffer | null) {
  const h = tempDir();
  const c = tempDir();
  t.after(() => { rmSync(h, { recursive: true, force: true }); rmSync(c, { recursive: true, force: true }); });
  if (home !== null) writeFileSync(join(h, '.codecarbon.config'), home);
  if (local !== null) writeFileSync(join(c, '.codecarbon.config'), local);
  return { home: h, cwd: c, env: {}, homeFile: join(h, '.codecarbon.config'), localFile: join(c, '.codecarbon.config') };
}

test('a file whose only section is not [codecarbon]: one warning naming it and the fix; the other file still applies', (t) => {
  const where = dirs(t, '[codecarbon]\npue = 1.5\n', '[CodeCarbon]\nproject_name = x\n[other]\ny = 2\n');
  const r = resolveConfig({}, where);
  assert.deepEqual(r.warnings, [`${where.localFile} has no [codecarbon] section (it has [CodeCarbon], [other]): its settings are `
    + 'ignored; put them under a line "[codecarbon]" (section names are case-sensitive)']);
  assert.equal(r.values['projectName'], 'codecarbon');
  assert.equal(r.values['pue'], 1.5);
});

test('an empty or comment-only file has nothing to ignore: no warning', (t) => {
  const where = dirs(t, '', '; nothing yet\n\n# still nothing\n');
  assert.deepEqual(resolveConfig({}, where).warnings, []);
});

test('key lines before any section header: a ConfigError naming the file, the line and the fix (configparser refuses the file)', (t) => {
  const where = dirs(t, null, '# my settings\nproject_name = x\n');
  assert.throws(() => resolveConfig({}, where), {
    name: 'ConfigError',
    message: `line 2 (from ${where.localFile}): "project_name = x" comes before any section header; `
      + 'put a line "[codecarbon]" above it',
  });
});

test('a file that is not text (invalid UTF-8, or NUL bytes): a ConfigError naming the file, the line and the fix', (t) => {
  const bad = Buffer.concat([Buffer.from('[codecarbon]\n'), Buffer.from([0xff, 0xfe, 0x41, 0x0a])]);
  const where = dirs(t, bad, null);
  assert.throws(() => resolveConfig({}, where), {
    name: 'ConfigError',
    message: `config file (from ${where.homeFile}): is not text (line 2 holds bytes that are not UTF-8); `
      + 'save it as UTF-8 text with a "[codecarbon]" section, or remove it',
  });
  const binary = dirs(t, null, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00]));
  assert.throws(() => resolveConfig({}, binary), {
    name: 'ConfigError',
    message: `config file (from ${binary.localFile}): is not text (line 1 holds a NUL byte); `
      + 'save it as UTF-8 text with a "[codecarbon]" section, or remove it',
  });
});

test('a UTF-8 byte order mark is text: the file is read', (t) => {
  const where = dirs(t, null, '\ufeff[codecarbon]\nproject_name = bom\n');
  assert.equal(resolveConfig({}, where).values['projectName'], 'bom');
});

test('a key set twice in a section (in any case): a ConfigError naming file, lines, key and fix, as configparser\'s strict mode', (t) => {
  const where = dirs(t, null, '[codecarbon]\nproject_name = a\npue = 1.2\nProject_Name: b\n');
  assert.throws(() => resolveConfig({}, where), {
    name: 'ConfigError',
    message: `project_name (from ${where.localFile}): set twice in [codecarbon], on lines 2 and 4; keep one of them`,
  });
});

test('a section set twice: a ConfigError naming file, lines and fix', (t) => {
  const where = dirs(t, null, '[codecarbon]\npue = 1.2\n[codecarbon]\nwue = 1\n');
  assert.throws(() => resolveConfig({}, where), {
    name: 'ConfigError',
    message: `section [codecarbon] (from ${where.localFile}): appears twice, on lines 1 and 3; merge them into one`,
  });
});

test('the same key in two files, or in two sections, is no duplicate', (t) => {
  const where = dirs(t, '[codecarbon]\npue = 1.2\n', '[other]\npue = 3\n[codecarbon]\npue = 1.4\n');
  const r = resolveConfig({}, where);
  assert.equal(r.values['pue'], 1.4);
  assert.deepEqual(r.warnings, []);
});

test('a number argument that is NaN or Infinity is shown as such, not as null', (t) => {
  const where = dirs(t, null, null);
  assert.throws(() => resolveConfig({ measurePowerSecs: Number.NaN }, where),
    { name: 'ConfigError', message: 'measurePowerSecs (from argument): expected a number > 0 and <= 2147483, got NaN' });
  assert.throws(() => resolveConfig({ pue: Number.POSITIVE_INFINITY }, where),
    { name: 'ConfigError', message: 'pue (from argument): expected a number > 0 and <= 100, got Infinity' });
});

test('values past what the arithmetic and the timers can hold are refused with the bound: a time-out over 2^31 - 1 ms, 1e308 W', (t) => {
  const where = dirs(t, null, null);
  assert.throws(() => resolveConfig({}, { ...where, env: { CODECARBON_SOURCE_TIMEOUT_MS: '3000000000' } }), { name: 'ConfigError',
    message: 'source_timeout_ms (from environment variable CODECARBON_SOURCE_TIMEOUT_MS): expected a number > 0 and <= 2147483647, got "3000000000"' });
  assert.throws(() => resolveConfig({}, { ...where, env: { CODECARBON_FORCE_RAM_POWER: '1e308' } }), { name: 'ConfigError',
    message: 'force_ram_power (from environment variable CODECARBON_FORCE_RAM_POWER): expected a number > 0 and <= 1000000, got "1e308"' });
  assert.equal(resolveConfig({}, { ...where, env: { CODECARBON_SOURCE_TIMEOUT_MS: String(2 ** 31 - 1) } }).values['sourceTimeoutMs'], 2 ** 31 - 1);
});

test('a location lookup is waited for 250 ms past its time-out in one timer: location and cloud time-outs stop 250 ms short of 2^31 - 1', (t) => {
  const where = dirs(t, null, null);
  // 2^31 - 1 + 250 ms would overflow Node's timer, which then fires at once: the lookup given up at its start.
  assert.throws(() => resolveConfig({ locationTimeoutMs: 2 ** 31 - 1 }, where), { name: 'ConfigError',
    message: 'locationTimeoutMs (from argument): expected a number > 0 and <= 2147483397, got 2147483647' });
  assert.throws(() => resolveConfig({}, { ...where, env: { CODECARBON_CLOUD_METADATA_TIMEOUT_MS: '2147483500' } }), { name: 'ConfigError',
    message: 'cloud_metadata_timeout_ms (from environment variable CODECARBON_CLOUD_METADATA_TIMEOUT_MS): expected a number > 0 and <= 2147483397, got "2147483500"' });
  assert.equal(resolveConfig({ locationTimeoutMs: 2 ** 31 - 1 - graceMs }, where).values['locationTimeoutMs'] as number + graceMs, 2 ** 31 - 1);
});

test('ring_capacity past 2^21 slots is refused at construction with its origin and range; the ring\'s layout at 2^21 slots adds up for 126 columns', (t) => {
  const where = dirs(t, null, null);
  // 60,000,000 made the sampler thread fail at start() ("Invalid array buffer length"), after construction, naming no key.
  assert.throws(() => resolveConfig({}, { ...where, env: { CODECARBON_RING_CAPACITY: '60000000' } }), { name: 'ConfigError',
    message: 'ring_capacity (from environment variable CODECARBON_RING_CAPACITY): expected an integer >= 2 and <= 2097152, got "60000000"' });
  const file = dirs(t, null, '[codecarbon]\nring_capacity = 1e8\n');
  assert.throws(() => resolveConfig({}, file), { name: 'ConfigError',
    message: `ring_capacity (from ${file.localFile}, line 2): expected an integer >= 2 and <= 2097152, got "1e8"` });
  assert.throws(() => new OfflineEmissionsTracker({ countryIsoCode: 'FRA', ringCapacity: 2 ** 21 + 1 }, where), { name: 'ConfigError',
    message: 'ringCapacity (from argument): expected an integer >= 2 and <= 2097152, got 2097153' });
  assert.equal(resolveConfig({ ringCapacity: 2 ** 21 }, where).values['ringCapacity'], 2 ** 21);
  // The bound's reason, as the key table states it: at 2^21 slots the ring's layout still adds up for
  // 126 columns (24 GPUs beside two sockets): control, sequence words, samples, 4 anchors, last readings.
  assert.equal(RingWriter.bytes({ capacity: 2 ** 21, channels: 126, anchors: 4 }), 128 + 2 ** 21 * 4 + 2 ** 21 * 127 * 8 + 64 + 4096 + 1024);
});

test('numbers are decimal text as CodeCarbon (Python\'s float) reads them: 0x10 and 0b11 are refused, 1_000 and 1e3 are read', (t) => {
  const where = dirs(t, null, '[codecarbon]\nmeasure_power_secs = 0x10\n');
  assert.throws(() => resolveConfig({}, where), { name: 'ConfigError',
    message: `measure_power_secs (from ${where.localFile}, line 2): expected a number > 0 and <= 2147483, got "0x10"` });
  assert.throws(() => resolveConfig({}, { ...dirs(t, null, null), env: { CODECARBON_API_CALL_INTERVAL: '0b11' } }), { name: 'ConfigError',
    message: 'api_call_interval (from environment variable CODECARBON_API_CALL_INTERVAL): expected an integer >= -1, got "0b11"' });
  for (const bad of ['1__0', '_1', '1_', '.', 'e3', 'inf', '1e']) {
    assert.throws(() => resolveConfig({}, { ...dirs(t, null, null), env: { CODECARBON_PUE: bad } }), { name: 'ConfigError' }, bad);
  }
  const read = (v: string): unknown => resolveConfig({}, { ...dirs(t, null, null), env: { CODECARBON_MEASURE_POWER_SECS: v } }).values['measurePowerSecs'];
  assert.deepEqual(['1_000', '1e3', ' 2.5 ', '.5', '5.', '+7'].map(read), [1000, 1000, 2.5, 0.5, 5, 7]);
});

test('an empty output_file, and a sampler period under 1 ms, are refused with where they came from', (t) => {
  const where = dirs(t, null, '[codecarbon]\noutput_file =\n');
  assert.throws(() => resolveConfig({}, where), { name: 'ConfigError',
    message: `output_file (from ${where.localFile}, line 2): expected a non-empty path, got ""` });
  assert.throws(() => resolveConfig({ samplePeriodMs: 0.5 }, dirs(t, null, null)), { name: 'ConfigError',
    message: 'samplePeriodMs (from argument): expected a number >= 1 and <= 2147483647, got 0.5' });
});
