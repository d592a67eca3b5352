// Child entry of the scrape benchmark: a tracked process with a scrape endpoint (or, with `floor`,
// a bare node:http server answering a fixed body of the same size), answering each line on stdin
// with its CPU time, samples taken and energy so far (JSON on stdout).
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { OfflineEmissionsTracker } from '../src/offline.js';
import { scrapeAddress } from '../src/output/scrape.js';
import { FakeRapl } from '../test/helpers/sysfs.js';

const floor = process.argv[2] === 'floor';
const rapl = new FakeRapl([{ id: 'intel-rapl:0', name: 'package-0', energyUj: 0 }]);
// The sampler held at its full rate (10 Hz) in every window: idle, it would slow down in the unscraped
// windows and the scraped ones would be charged its return to 10 Hz, which is not the scrape's cost.
const tracker = new OfflineEmissionsTracker({ countryIsoCode: 'FRA', raplDir: rapl.root, saveToFile: false, logLevel: 'error',
  prometheusListenAddress: '127.0.0.1:0', idleSamplePeriodMs: 100 }, { env: {}, cwd: rapl.root, home: rapl.root });
tracker.start();
await tracker.ready();
let address = (await scrapeAddress('127.0.0.1:0'))!;
if (floor) {
  const body = await (await fetch(`http://${address}/metrics`)).text();
  const server = createServer((_, res) => { res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }); res.end(body); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  address = `127.0.0.1:${(server.address() as { port: number }).port}`;
  server.unref();
}
const reply = (o: object): boolean => process.stdout.write(`${JSON.stringify(o)}\n`);
reply({ address, counter: rapl.path('intel-rapl:0') });
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'stop') break;
  const cpu = process.cpuUsage();
  const record = tracker.current()!;
  reply({ cpuUs: cpu.user + cpu.system, samples: tracker.sampler!.timeline!.ring.published(), cpuEnergyJ: Number(record.cpu_energy) * 3.6e6 });
}
await tracker.stop();
rapl.cleanup();
