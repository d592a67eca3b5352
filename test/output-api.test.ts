// The hosted API output against a real local server: the contract field by field, sums that add up
// to the run's totals through failures, time-outs and garbage, one request at a time, unsent said at exit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiOutput } from '../src/output/api.js';
import type { EmissionsRecord } from '../src/output/record.js';
import { created, deltas, fakeApi, machine, total, type FakeApi, type Seen } from './helpers/api.js';
import { garbageServer } from './helpers/servers.js';

/** A warn that keeps `[kind, message]` pairs. */
function collector(): { warned: [string, string][]; warn: (kind: string, message: string) => void } {
  const warned: [string, string][] = [];
  return { warned, warn: (kind, message) => { warned.push([kind, message]); } };
}

const figure = (x: number): string => Number(x.toPrecision(3)).toString();
/** The uploads the server took. */
const uploads = (api: FakeApi): Seen[] => api.seen.filter((s) => s.path === '/emissions' && s.status === 201);
const sum = (api: FakeApi, field: string): number => uploads(api).reduce((a, s) => a + (s.body[field] as number), 0);

/** What the server received adds up to the run's last total record. */
function assertSums(api: FakeApi, last: EmissionsRecord): void {
  for (const [sent, f] of [['emissions_sum', 'emissions'], ['energy_consumed', 'energy_consumed'], ['cpu_energy', 'cpu_energy'],
    ['gpu_energy', 'gpu_energy'], ['ram_energy', 'ram_energy']] as const) {
    const want = Number(last[f]);
    assert.ok(Math.abs(sum(api, sent) - want) <= 1e-12 * want, `Σ${sent} = ${sum(api, sent)}, the total's ${f} = ${want}`);
  }
  assert.equal(sum(api, 'duration'), Math.floor(Number(last.duration)));
  for (const s of uploads(api)) {
    assert.ok(Number.isInteger(s.body['duration']) && (s.body['duration'] as number) >= 1, `duration ${String(s.body['duration'])}`);
  }
}

/** What `output` has not delivered is all of `x` (the run so far), to rounding. */
function assertUnsent(output: ApiOutput, x: EmissionsRecord): void {
  const u = output.unsent;
  for (const [got, f] of [[u.durationS, 'duration'], [u.energyKwh, 'energy_consumed'], [u.emissionsKg, 'emissions']] as const) {
    assert.ok(Math.abs(got - Number(x[f])) <= 1e-12 * Number(x[f]), `unsent ${f} ${got}, the run's ${x[f]}`);
  }
}

/** Hands the totals at `durationsS` (cumulative) to liveOut() and out() in turn, each awaited; deltas from `next`. */
async function run(output: ApiOutput, durationsS: readonly number[], next = deltas()): Promise<EmissionsRecord> {
  let last = total(0);
  for (const [i, d] of durationsS.entries()) {
    last = total(d);
    await (i % 2 === 0 ? output.liveOut(last, next(last)) : output.out(last, next(last)));
  }
  return last;
}

const key = 'secret-key-0123';
const options = (api: { url: string }, timeoutMs?: number) => ({ endpoint: `${api.url}/`, apiKey: key, experimentId: 'exp-1', timeoutMs });

test('the contract: POST /runs then /emissions, each header and field, run_id from /runs', async (t) => {
  const api = await fakeApi(t);
  const { warned, warn } = collector();
  const output = new ApiOutput(options(api), warn);
  const next = deltas();
  const first = total(0.6);
  await output.liveOut(first, next(first));
  assert.equal(api.seen.length, 0, 'a first delta under 1 s is held back, and no run created for it');
  const second = total(4.25, { cpu_count: '8', latitude: '48.8566', longitude: -2.3522, cpu_utilization_percent: 104.2,
    gpu_utilization_percent: -3, ram_utilization_percent: '37.5', wue: '0.5', ram_total_size: '15.5' });
  await output.out(second, next(second));
  assert.deepEqual(api.seen.map((s) => s.path), ['/runs', '/emissions']);
  for (const s of api.seen) {
    assert.equal(s.headers['content-type'], 'application/json');
    assert.equal(s.headers['x-api-token'], key);
  }
  assert.deepEqual(api.seen[0]!.body, {
    timestamp: first.timestamp, experiment_id: 'exp-1', os: machine.os, python_version: 'Node.js 20.19.0',
    codecarbon_version: '3.3.0', cpu_count: 8, cpu_model: machine.cpu_model, gpu_count: 1, gpu_model: '1 x Fake GPU',
    longitude: -2.4, latitude: 48.9, region: 'île-de-france', provider: '', ram_total_size: 15.5, tracking_mode: 'machine',
  });
  const e = api.seen[1]!.body;
  assert.deepEqual(Object.keys(e).sort(), ['cpu_energy', 'cpu_power', 'cpu_utilization_percent', 'duration', 'emissions_rate',
    'emissions_sum', 'energy_consumed', 'gpu_energy', 'gpu_power', 'gpu_utilization_percent', 'ram_energy', 'ram_power',
    'ram_utilization_percent', 'run_id', 'timestamp', 'wue']);
  assert.deepEqual({ ...e, emissions_sum: 0, emissions_rate: 0, cpu_energy: 0, gpu_energy: 0, ram_energy: 0, energy_consumed: 0 }, {
    timestamp: second.timestamp, run_id: 'run-42', duration: 4, emissions_sum: 0, emissions_rate: 0, cpu_power: 31.2,
    gpu_power: 72.5, ram_power: 5.1, cpu_energy: 0, gpu_energy: 0, ram_energy: 0, energy_consumed: 0,
    cpu_utilization_percent: 100, gpu_utilization_percent: 0, ram_utilization_percent: 37.5, wue: 0.5,
  });
  assert.equal(e['emissions_rate'], (e['emissions_sum'] as number) / 4.25, 'the rate over the 4.25 s the energy covers, not the whole 4');
  assertSums(api, second);
  assert.equal(output.runId, 'run-42');
  await output.exit();
  assert.deepEqual(warned, []);
});

test('an offline record (no coordinates): longitude and latitude 0, and the run is created', async (t) => {
  const api = await fakeApi(t);
  const { warned, warn } = collector();
  const output = new ApiOutput(options(api), warn);
  const last = total(3.5, { longitude: '', latitude: '' });
  await output.out(last, deltas()(last));
  assert.deepEqual([api.seen[0]!.body['longitude'], api.seen[0]!.body['latitude']], [0, 0]);
  assert.deepEqual(api.seen.map((s) => s.path), ['/runs', '/emissions']);
  assert.equal(output.runId, 'run-42');
  assert.deepEqual(warned, []);
});

test('flushes and live pushes, sub-second steps among them: the server sums to the last total', async (t) => {
  const api = await fakeApi(t);
  const { warned, warn } = collector();
  const output = new ApiOutput(options(api), warn);
  const last = await run(output, [0.4, 1.7, 2.4, 5.3, 5.5, 5.75, 8.85, 9.9, 10.4, 14.8]);
  assertSums(api, last);
  assert.deepEqual(uploads(api).map((s) => s.body['duration']), [1, 1, 3, 3, 1, 1, 4]);
  assert.equal(api.seen.filter((s) => s.path === '/runs').length, 1);
  assert.equal(api.maxActive(), 1);
  assert.deepEqual(output.unsent, { durationS: 0, energyKwh: 0, emissionsKg: 0 });
  await output.exit();
  assert.deepEqual(warned, []);
});

test('calls made while a request is in flight join one upload after it, never a second request at once', async (t) => {
  let release = (): void => {};
  const held = new Promise<void>((r) => { release = r; });
  const api = await fakeApi(t, async (s, i) => {
    if (i === 1) await held;
    return created(s, i);
  });
  const { warned, warn } = collector();
  const output = new ApiOutput(options(api), warn);
  const next = deltas();
  const [t1, t2, t3] = [total(2.5), total(3.1), total(6.2)];
  const first = output.out(t1, next(t1));
  await api.arrived(2);
  const d1 = Number(t1.energy_consumed);
  assert.deepEqual(output.unsent, { durationS: 2.5, energyKwh: d1, emissionsKg: Number(t1.emissions) }, 'in flight counts as unsent');
  const second = output.liveOut(t2, next(t2));
  const third = output.out(t3, next(t3));
  assert.equal(second, third, 'both join the same upload');
  const exited = output.exit();
  release();
  await Promise.all([first, second, third, exited]);
  assert.deepEqual(api.seen.map((s) => s.path), ['/runs', '/emissions', '/emissions']);
  assert.deepEqual(uploads(api).map((s) => s.body['duration']), [2, 4]);
  assertSums(api, t3);
  assert.equal(api.maxActive(), 1);
  assert.deepEqual(warned, []);
});

test('a burst of calls before any answer: one run, one upload holding them all', async (t) => {
  const api = await fakeApi(t);
  const { warn } = collector();
  const output = new ApiOutput(options(api), warn);
  const next = deltas();
  const totals = [1.2, 2.9, 3.3, 7.7, 8.05].map((d) => total(d));
  await Promise.all(totals.map((x) => output.liveOut(x, next(x))));
  assert.deepEqual(api.seen.map((s) => s.path), ['/runs', '/emissions']);
  assertSums(api, totals.at(-1)!);
  assert.equal(api.maxActive(), 1);
});

test('the server failing (500), then refusing connections, then back: nothing lost, each failure said', async (t) => {
  let down = false;
  const api = await fakeApi(t, (s, i) => (down && s.path === '/emissions' ? { status: 500, text: 'upstream unavailable\n' } : created(s, i)));
  const { warned, warn } = collector();
  const output = new ApiOutput(options(api), warn);
  const next = deltas();
  const step = async (d: number, live: boolean): Promise<EmissionsRecord> => {
    const x = total(d);
    await (live ? output.liveOut(x, next(x)) : output.out(x, next(x)));
    return x;
  };
  await step(1.5, true);
  down = true;
  await step(3.2, true);
  await step(4.9, false);
  await api.close();
  await step(6.6, true);
  const t5 = await step(8.3, true);
  assert.equal(output.runId, 'run-42');
  await api.reopen();
  down = false;
  const last = await step(9.6, false);
  assertSums(api, last);
  assert.deepEqual(uploads(api).map((s) => s.body['duration']), [1, 8]);
  assert.deepEqual(api.seen.map((s) => `${s.path} ${s.status} ${String(s.body['duration'] ?? '')}`),
    ['/runs 201 ', '/emissions 201 1', '/emissions 500 2', '/emissions 500 3', '/emissions 201 8']);
  assert.deepEqual(warned.map(([k]) => k), ['emissions-http-500', 'emissions-http-500', 'emissions-refused', 'emissions-refused']);
  const url = `${api.url}/emissions`;
  assert.match(warned[0]![1], new RegExp(`^the CodeCarbon API did not take the emissions \\(POST ${url}\\): HTTP 500 \\(upstream unavailable\\); `
    + 'the [0-9.e-]+ kWh \\([0-9.e-]+ kg CO2eq over 2 s\\) are kept and sent with the next upload; '
    + 'the API failed on its side; if this goes on, check api_endpoint$'));
  const kept = (f: 'energy_consumed' | 'emissions', sent: string): string => figure(Number(t5[f]) - (uploads(api)[0]!.body[sent] as number));
  assert.equal(warned[3]![1], `the CodeCarbon API did not take the emissions (POST ${url}): ECONNREFUSED; the `
    + `${kept('energy_consumed', 'energy_consumed')} kWh (${kept('emissions', 'emissions_sum')} kg CO2eq over 7 s) `
    + 'are kept and sent with the next upload; check api_endpoint');
  assert.equal(api.maxActive(), 1);
  await output.exit();
  assert.equal(warned.length, 4);
});

test('answers slower than timeoutMs: the run tried again; an upload sent but unanswered is in doubt, never sent twice', async (t) => {
  const timeoutMs = 200;
  const api = await fakeApi(t, (s, i) => (i === 0 || i === 3 ? null : created(s, i)));
  const { warned, warn } = collector();
  const output = new ApiOutput(options(api, timeoutMs), warn);
  const next = deltas();
  const t1 = total(1.5);
  await output.out(t1, next(t1));
  assert.equal(output.runId, null);
  assertUnsent(output, t1);
  assert.deepEqual(warned, [['runs-timeout', `the CodeCarbon API did not create the run (POST ${api.url}/runs): no answer within `
    + `${timeoutMs} ms; it is tried again at the next upload, and the emissions wait for it; check api_endpoint`]]);
  const last = await run(output, [2.7, 4.4, 6.1], next);
  assert.deepEqual(api.seen.map((s) => `${s.path} ${s.status} ${String(s.body['duration'] ?? '')}`),
    ['/runs null ', '/runs 201 ', '/emissions 201 2', '/emissions null 2', '/emissions 201 2']);
  assert.deepEqual(warned.map(([k]) => k), ['runs-timeout', 'emissions-timeout']);
  const doubt = api.seen[3]!.body;
  const said = `${figure(doubt['energy_consumed'] as number)} kWh (${figure(doubt['emissions_sum'] as number)} kg CO2eq over`;
  assert.equal(warned[1]![1], `the CodeCarbon API did not answer the upload of the emissions (POST ${api.url}/emissions): no answer `
    + `within 200 ms; it may have taken the ${said} 2 s): they are not sent again, which could count them twice; the run's total `
    + 'record includes them; check api_endpoint');
  // What was taken and what is in doubt add up to the run, each amount once.
  const d = output.inDoubt;
  assert.deepEqual(d, { durationS: 2, energyKwh: doubt['energy_consumed'], emissionsKg: doubt['emissions_sum'] });
  for (const [f, sent, extra] of [['energy_consumed', 'energy_consumed', d.energyKwh], ['emissions', 'emissions_sum', d.emissionsKg]] as const) {
    assert.ok(Math.abs(sum(api, sent) + extra - Number(last[f])) <= 1e-12 * Number(last[f]), f);
  }
  assert.equal(sum(api, 'duration') + d.durationS, Math.floor(Number(last.duration)));
  assert.equal(output.undelivered(), `the CodeCarbon API may not have received ${said} 2.0 s) (sent, never answered) of the run`);
  await output.exit();
  assert.deepEqual(warned.slice(2), [['in-doubt', `the CodeCarbon API may not have received ${said} 2.0 s) of the run: uploads `
    + 'of them were sent but never answered (see the warnings before), and were not sent again so as not to count them twice; '
    + "the run's total record (the CSV row, where save_to_file is on) includes them"]]);
});

test('a server that takes an upload but answers after timeoutMs: what it stored adds up to the run, nothing twice', async (t) => {
  const timeoutMs = 150;
  // The hosted API under load: it stores every upload, one of them answered too late for the client.
  const api = await fakeApi(t, async (s, i) => {
    if (i === 2) await new Promise((r) => setTimeout(r, timeoutMs * 3));
    return created(s, i);
  });
  const { warned, warn } = collector();
  const output = new ApiOutput(options(api, timeoutMs), warn);
  const last = await run(output, [1.6, 3.9, 5.2, 7.4, 9.1]);
  await api.arrived(api.seen.length);
  await new Promise((r) => setTimeout(r, timeoutMs * 3)); // the late answer is written (s.status set)
  assert.deepEqual(warned.map(([k]) => k), ['emissions-timeout']);
  assertSums(api, last);
  assert.deepEqual(output.unsent, { durationS: 0, energyKwh: 0, emissionsKg: 0 });
  assert.ok(output.inDoubt.energyKwh > 0, 'the late upload is said as in doubt: the client cannot know it was stored');
});

test('a connection reset after the upload was sent is in doubt; one refused before it is kept and sent again', async (t) => {
  let reset = false;
  const api = await fakeApi(t, (s, i) => (reset && s.path === '/emissions' ? 'reset' : created(s, i)));
  const { warned, warn } = collector();
  const output = new ApiOutput(options(api), warn);
  const next = deltas();
  const t1 = total(1.2);
  await output.out(t1, next(t1));
  reset = true;
  const t2 = total(3.4);
  await output.out(t2, next(t2));
  assert.deepEqual(warned.map(([k]) => k), ['emissions-network']);
  assert.match(warned[0]![1], /^the CodeCarbon API did not answer the upload of the emissions \(POST .*\): ECONNRESET; it may have taken /);
  assert.equal(output.inDoubt.durationS, 2);
  reset = false;
  await api.close();
  const t3 = total(5.5);
  await output.out(t3, next(t3));
  assert.deepEqual(warned.map(([k]) => k), ['emissions-network', 'emissions-refused']);
  assert.match(warned[1]![1], /: ECONNREFUSED; the .* kWh \(.* kg CO2eq over 2 s\) are kept and sent with the next upload; check api_endpoint$/);
  await api.reopen();
  const t4 = total(6.8);
  await output.out(t4, next(t4));
  assert.deepEqual(uploads(api).map((s) => s.body['duration']), [1, 3], 'the refused 2 s went with the next upload (with 1.3 s more)');
  assert.equal(sum(api, 'duration') + output.inDoubt.durationS, 6);
});

test('a 2xx other than 201 is taken (a run id used, amounts not sent again), and said', async (t) => {
  const api = await fakeApi(t, (s, i) => (s.path === '/runs' ? { status: 200, text: '{"id":"run-200"}' }
    : i === 1 ? { status: 200, text: '{}' } : created(s, i)));
  const { warned, warn } = collector();
  const output = new ApiOutput(options(api), warn);
  const last = await run(output, [1.4, 2.9, 4.1]);
  assert.equal(output.runId, 'run-200');
  assert.deepEqual(api.seen.map((s) => `${s.path} ${s.status}`), ['/runs 200', '/emissions 200', '/emissions 201', '/emissions 201']);
  const taken = api.seen.filter((s) => s.path === '/emissions');
  for (const f of ['energy_consumed', 'emissions_sum'] as const) {
    const want = Number(last[f === 'emissions_sum' ? 'emissions' : f]);
    assert.ok(Math.abs(taken.reduce((a, s) => a + (s.body[f] as number), 0) - want) <= 1e-12 * want, f);
  }
  assert.deepEqual(warned.map(([k]) => k), ['runs-http-200', 'emissions-http-200']);
  assert.equal(warned[0]![1], `the CodeCarbon API answered POST ${api.url}/runs with HTTP 200, where it answers 201 ({"id":"run-200"}): `
    + 'its run id is used; check api_endpoint');
  assert.match(warned[1]![1], /with HTTP 200, where it answers 201 \(\{\}\): the .* kWh \(.* kg CO2eq over 1 s\) are taken as received, not sent again/);
  assert.equal(output.undelivered(), null);
});

test('401 on /runs: the warning names api_key (never the key itself), no /emissions sent, the run created at the next upload', async (t) => {
  const api = await fakeApi(t, (s, i) => (i === 0 ? { status: 401, text: `{"detail": "invalid token ${key}"}` } : created(s, i)));
  const { warned, warn } = collector();
  const output = new ApiOutput(options(api), warn);
  const next = deltas();
  const t1 = total(2.2);
  await output.liveOut(t1, next(t1));
  assert.deepEqual(api.seen.map((s) => s.path), ['/runs']);
  assert.deepEqual(warned, [['runs-http-401', `the CodeCarbon API did not create the run (POST ${api.url}/runs): HTTP 401 `
    + '({"detail": "invalid token ***"}); it is tried again at the next upload, and the emissions wait for it; check api_key: the API refused it for experiment_id "exp-1"']]);
  const t2 = total(3.9);
  await output.out(t2, next(t2));
  assert.deepEqual(api.seen.map((s) => s.path), ['/runs', '/runs', '/emissions']);
  assertSums(api, t2);
  assert.ok(warned.every(([, m]) => !m.includes(key)));
});

test('a 201 without a run id (not JSON, or no id): not a run; it is created at the next upload', async (t) => {
  const bad = ['<html>\n  <body>ok</body>\n</html>', '{"ok": true}', ''];
  const api = await fakeApi(t, (s, i) => (i < bad.length ? { status: 201, text: bad[i] } : created(s, i)));
  const { warned, warn } = collector();
  const output = new ApiOutput(options(api), warn);
  const last = await run(output, [1.1, 2.3, 3.6, 5.2]);
  const head = `the CodeCarbon API did not create the run (POST ${api.url}/runs): HTTP 201 but no run id in the answer`;
  const tail = '; it is tried again at the next upload, and the emissions wait for it; check api_endpoint';
  assert.deepEqual(warned, [['runs-garbage', `${head} (<html> <body>ok</body> </html>)${tail}`],
    ['runs-garbage', `${head} ({"ok": true})${tail}`], ['runs-garbage', `${head}${tail}`]]);
  assert.deepEqual(api.seen.map((s) => s.path), ['/runs', '/runs', '/runs', '/runs', '/emissions']);
  assertSums(api, last);
});

test('a server answering bytes that are not HTTP: said as garbage each time, and exit() says what never went', async (t) => {
  const server = await garbageServer();
  t.after(() => server.close());
  const { warned, warn } = collector();
  const output = new ApiOutput(options(server), warn);
  const last = await run(output, [1.3, 2.8]);
  assert.deepEqual(warned.map(([k]) => k), ['runs-garbage', 'runs-garbage']);
  assert.equal(warned[0]![1], `the CodeCarbon API did not create the run (POST ${server.url}/runs): the answer is not HTTP; `
    + 'it is tried again at the next upload, and the emissions wait for it; check api_endpoint');
  assertUnsent(output, last);
  await output.exit();
  assert.deepEqual(warned[2], ['unsent', `the CodeCarbon API did not receive the run's last ${figure(Number(last.energy_consumed))} kWh `
    + `(${figure(Number(last.emissions))} kg CO2eq over 2.8 s): its last upload failed (see the warning before); `
    + "the run's total record (the CSV row, where save_to_file is on) includes them"]);
  assert.equal(warned.length, 3);
});

test('sub-second deltas go with the next; exit() is silent when all went, and says a last delta under 1 s', async (t) => {
  const api = await fakeApi(t);
  const { warned, warn } = collector();
  const output = new ApiOutput(options(api), warn);
  const next = deltas();
  const [t1, t2, t3, t4] = [total(0.4), total(0.9), total(2.3), total(2.9)];
  await output.out(t1, next(t1));
  await output.liveOut(t2, next(t2));
  assert.equal(api.seen.length, 0);
  assertUnsent(output, t2);
  await output.out(t3, next(t3));
  assert.deepEqual(uploads(api).map((s) => s.body['duration']), [2]);
  assertSums(api, t3);
  assert.deepEqual(output.unsent, { durationS: 0, energyKwh: 0, emissionsKg: 0 }, 'the 0.3 s left over carries no energy');
  await output.exit();
  assert.deepEqual(warned, []);
  await output.out(t4, next(t4));
  assert.equal(uploads(api).length, 1);
  await output.exit();
  const energy = Number(t4.energy_consumed) - Number(t3.energy_consumed);
  const emissions = Number(t4.emissions) - Number(t3.emissions);
  assert.deepEqual(warned, [['unsent', `the CodeCarbon API did not receive the run's last ${figure(energy)} kWh (${figure(emissions)} `
    + "kg CO2eq over 0.9 s): its last delta was under the 1 s the API takes; the run's total record (the CSV row, where "
    + 'save_to_file is on) includes them']]);
});

test('a bad endpoint or time-out fails at construction, naming the key and the form', () => {
  const warn = (): void => {};
  assert.throws(() => new ApiOutput({ endpoint: 'api.codecarbon.io', apiKey: key, experimentId: 'e' }, warn), {
    name: 'ConfigError', message: 'api_endpoint (from the API output options): expected an http:// or https:// URL such as '
      + 'https://api.codecarbon.io, got "api.codecarbon.io"',
  });
  assert.throws(() => new ApiOutput({ endpoint: 'https://api.codecarbon.io', apiKey: key, experimentId: 'e', timeoutMs: 0 }, warn), {
    name: 'ConfigError', message: 'timeoutMs (from the API output options): expected a positive number of milliseconds, got 0',
  });
});

test('a run that ends with its upload in flight, then fails, while the next run uploads: each run\'s end says its own amounts', async (t) => {
  let release = (): void => {};
  const held = new Promise<void>((r) => { release = r; });
  let runs = 0;
  const api = await fakeApi(t, async (s, i) => {
    if (s.path === '/runs') return { status: 201, text: `{"id":"run-${++runs}"}` };
    if (i === 1) {
      await held;
      return { status: 503, text: 'busy' };
    }
    return created(s, i);
  });
  const { warned, warn } = collector();
  const output = new ApiOutput(options(api), warn);
  const first = total(2.4);
  const upload = output.out(first, deltas()(first));
  await api.arrived(2); // run-1 created, its emissions held
  const ended = output.exit(); // the first run's end, its upload in flight
  output.runStart();
  const second = total(3.7);
  const next = output.out(second, deltas()(second));
  release();
  await Promise.all([upload, ended, next]);
  await output.exit();
  assert.deepEqual(api.seen.map((s) => `${s.path} ${s.status} ${String(s.body['run_id'] ?? '')}`),
    ['/runs 201 ', '/emissions 503 run-1', '/runs 201 ', '/emissions 201 run-2']);
  assert.deepEqual(warned.map(([k]) => k), ['emissions-http-503', 'unsent']);
  assert.match(warned[1]![1], new RegExp(`^the CodeCarbon API did not receive the run's last ${figure(Number(first.energy_consumed))} kWh `
    + `\\(${figure(Number(first.emissions))} kg CO2eq over 2\\.4 s\\): its last upload failed`));
  assert.equal(output.runId, 'run-2');
  assert.equal(output.undelivered(), null, 'the second run delivered all');
});

test('at process exit, what a run that ended with its upload under way did not deliver is said with the current run\'s', async (t) => {
  const api = await fakeApi(t, (s) => (s.path === '/runs' ? created(s, 0) : null)); // uploads never answered
  const { warned, warn } = collector();
  const output = new ApiOutput(options(api, 60_000), warn);
  const first = total(2.5);
  void output.out(first, deltas()(first));
  await api.arrived(2); // the first run's emissions in flight
  void output.exit(); // its end, waiting for that upload
  output.runStart();
  const second = total(1.5);
  void output.out(second, deltas()(second));
  output.abandon(); // process.exit() now
  const kwh = Number(first.energy_consumed) + Number(second.energy_consumed);
  assert.deepEqual(warned.map(([k]) => k), ['abandoned']);
  assert.equal(warned[0]![1], `the process exited before the CodeCarbon API received the last of 2 runs: ${figure(kwh)} kWh `
    + `(${figure(Number(first.emissions) + Number(second.emissions))} kg CO2eq over 4.0 s); the runs' total records include them; `
    + 'await tracker.delivered() before process.exit() to send them');
  await api.close();
});
