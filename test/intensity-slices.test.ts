// Electricity Maps accounting as upstream: each new slice of energy at the intensity of its moment,
// not the whole run at the latest figure; rows say which figure applied last.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EmissionsBook } from '../src/run-record.js';
import { ScriptedClock, ScriptedRapl } from './helpers/scripted.js';
import { httpServer } from './helpers/servers.js';
import { fakeTracker } from './helpers/tracker.js';

test('EmissionsBook: one intensity gives exactly energy × intensity; a change books the new slices at the new figure', () => {
  const book = new EmissionsBook();
  assert.equal(book.emissionsKg(2, 100), 0.2);
  book.book(1, 100);
  book.book(2, 100);
  assert.equal(book.emissionsKg(3, 100), 0.3); // still one figure: the plain product, to the last digit
  assert.ok(Math.abs(book.emissionsKg(3, 400) - (0.2 + 0.4)) < 1e-15); // 2 kWh at 100, the third at 400
  book.book(3, 400);
  assert.ok(Math.abs(book.emissionsKg(5, 50) - (0.6 + 0.1)) < 1e-15);
  book.restart();
  assert.equal(book.emissionsKg(5, 50), 0.25);
});

test('a tracker with a token: energy before the figure changed keeps its figure; the row says the figure applied last', async (t) => {
  let g = 100;
  const em = await httpServer((_, res) => { res.end(JSON.stringify({ zone: 'FR', carbonIntensity: g })); });
  t.after(() => em.close());
  const clock = new ScriptedClock(1000);
  const hw = new ScriptedRapl(1, 10, undefined, clock);
  t.after(hw.forTrackers());
  // A short measure_power_secs: the live figure is asked again every 50 ms while the run goes on.
  const { tracker } = fakeTracker({ raplDir: hw.root, forceRamPower: 1e-6, samplePeriodMs: 60_000, measurePowerSecs: 0.05,
    electricitymapsApiToken: 'tok', electricitymapsUrl: `${em.url}/x/` });
  const keepAlive = setInterval(() => {}, 1000);
  t.after(() => clearInterval(keepAlive));
  const figure = async (want: number): Promise<void> => {
    while (tracker.intensity.gCo2ePerKwh !== want) await new Promise((r) => setTimeout(r, 5));
  };
  tracker.start();
  await figure(100);
  clock.advance(2000); // 20 J at 100 g/kWh
  await tracker.flush();
  g = 300;
  await figure(300);
  clock.advance(2000); // 20 J at 300 g/kWh
  await tracker.stop();
  const r = tracker.finalEmissionsData!;
  const kwhPerJ = 1 / 3.6e6;
  const expected = (20 * 100 + 20 * 300) * kwhPerJ / 1000;
  assert.ok(Math.abs(Number(r.emissions) / expected - 1) < 1e-6, `${r.emissions} vs ${expected}`);
  assert.equal(r.carbon_intensity_g_co2e_kwh, 300);
  assert.match(String(r.carbon_intensity_source), /^electricity-maps: Electricity Maps, latest, zone FR \(the figure applied last; earlier energy at the figures of its time, 2 in all\)$/);
  assert.ok(Math.abs(Number(r.emissions_rate) - Number(r.emissions) / 4) < 1e-18);
});
