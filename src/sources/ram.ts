// RAM power estimates: CodeCarbon 3's DIMM model (made monotonic), process RSS, or a forced figure.
import { ProcessTree } from './proc.js';
import type { ChannelInfo, EnergySource, ReadingSink, Warn } from './source.js';

const gib = 1024 ** 3;

/**
 * Estimated DIMM count for `sizeGiB` of memory (CodeCarbon 3.x): 1, 2, 4, 8 up to 128 GiB, then
 * the largest of 128/64/32/16/8/4 GB modules no larger than an eighth of the size, capped at 32.
 * Upstream's count falls from 16 to 8 DIMMs at 256 GiB (251.5 GiB → 70 W, 256 GiB → 38 W);
 * here it never falls: from 256 GiB on, at least the 16 reached just below.
 */
export function dimmCount(sizeGiB: number): number {
  if (sizeGiB <= 2) return 1;
  if (sizeGiB <= 16) return 2;
  if (sizeGiB <= 64) return 4;
  if (sizeGiB <= 128) return 8;
  const module = [128, 64, 32, 16, 8, 4].find((m) => m <= sizeGiB / 8) ?? 4;
  const raw = Math.min(32, Math.ceil(sizeGiB / module));
  return sizeGiB >= 256 ? Math.max(16, raw) : raw;
}

/** Watts for `sizeGiB` of RAM: 5 W a DIMM on x86 (1.5 W on ARM), less per DIMM beyond 4, 8, 16. */
export function dimmModelW(sizeGiB: number, arm: boolean): number {
  const perDimm = arm ? 1.5 : 5;
  const n = dimmCount(sizeGiB);
  let watts = 0;
  for (let i = 1; i <= n; i++) watts += perDimm * (i <= 4 ? 1 : i <= 8 ? 0.9 : i <= 16 ? 0.8 : 0.7);
  return Math.max(arm ? 3 : 10, watts);
}

/** Process mode: the DIMM model applied to the process tree's resident memory. */
class ProcessRamSource implements EnergySource {
  readonly channels: readonly ChannelInfo[];
  #ticks = 0;

  constructor(readonly tree: ProcessTree, readonly arm: boolean, readonly warn: Warn) {
    this.channels = [{
      id: 'ram-process', component: 'ram', source: 'ram-process', measured: false,
      detail: 'estimate: DIMM model applied to the process tree\'s resident memory',
      kind: 'mean-power', maxPowerW: dimmModelW(1e6, arm),
    }];
  }

  read(sink: ReadingSink, offset: number): void {
    if (this.#ticks++ % 10 === 0) this.tree.refresh();
    const rss = this.tree.rssBytes();
    if (rss === null) {
      this.warn('proc-pid-status', `/proc/${this.tree.pid}/status could not be read: RAM reading skipped.`);
      return;
    }
    sink.setPower(offset, dimmModelW(rss / gib, this.arm));
  }

  prime(sink: ReadingSink, offset: number): void {
    sink.setPower(offset, 0); // a time base: the first reading's model power covers the interval from the mark
  }

  close(): void {}
}

export function openProcessRam(procDir: string, pid: number, arm: boolean, warn: Warn): EnergySource {
  return new ProcessRamSource(new ProcessTree(procDir, pid), arm, warn);
}
