// Child entry of the idle benchmark: a process that is bare node, or has a started tracker at its
// default settings (over four fake RAPL zones), idles, and prints its own CPU time over the window.
import { OfflineEmissionsTracker } from '../src/offline.js';
import { tempDir } from '../test/helpers/sysfs.js';
import { fourZones } from './engine.js';

const [mode, settleMs, windowMs] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const keepAlive = setInterval(() => {}, 10_000);
if (mode === 'tracker') {
  const rapl = fourZones();
  const dir = tempDir('cc-idle-');
  const tracker = new OfflineEmissionsTracker({ countryIsoCode: 'FRA', outputDir: dir, raplDir: rapl.root, logLevel: 'error' },
    { env: {}, cwd: dir, home: dir });
  tracker.start();
  await tracker.ready();
}
// Start-up is not idling: the window opens once it (and the sampler's slow-down) is over.
await new Promise((r) => setTimeout(r, settleMs));
const before = process.cpuUsage();
await new Promise((r) => setTimeout(r, windowMs));
const used = process.cpuUsage(before);
clearInterval(keepAlive);
process.stdout.write(JSON.stringify({ cpuMs: (used.user + used.system) / 1000, windowMs }));
process.exit(0);
