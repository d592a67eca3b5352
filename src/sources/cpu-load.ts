// CPU power estimates when no counter is readable: CodeCarbon's load curve, process share, constant.
import type { TdpMatch } from './cpu-info.js';
import { clockTicksPerSecond, MachineCpu, ProcessTree, type CpuTimes } from './proc.js';
import type { MarkReading } from './mark.js';
import type { ChannelInfo, EnergySource, ReadingSink, Warn } from './source.js';

/** CodeCarbon's machine-mode curve: a 10 % floor and a cubic rise to TDP at full load. */
export function loadCurveW(tdpW: number, utilisation: number): number {
  const u = Math.min(1, Math.max(0, utilisation));
  return tdpW * (0.1 + 0.9 * u ** 3);
}

/** Share of TDP used by CodeCarbon's constant mode, when CPU load cannot be read at all. */
export const constantModeShare = 0.5;

const estimate = (tdp: TdpMatch, id: ChannelInfo['source'], detail: string): ChannelInfo => ({
  id, component: 'cpu', source: id, measured: false, detail: `${detail}; ${tdp.detail}`,
  kind: 'mean-power', maxPowerW: tdp.tdpW,
});

/** Machine mode: whole-machine utilisation from /proc/stat through the load curve. */
class MachineLoadSource implements EnergySource {
  readonly channels: readonly ChannelInfo[];
  #last: CpuTimes | null = null;

  constructor(readonly tdp: TdpMatch, readonly cpu: MachineCpu, readonly warn: Warn) {
    this.channels = [estimate(tdp, 'cpu-load', 'estimate: TDP × (0.1 + 0.9 × load³), load from /proc/stat')];
  }

  read(sink: ReadingSink, offset: number): void {
    let now: CpuTimes | null;
    try {
      now = this.cpu.read();
    } catch (e) {
      now = null;
      this.warn('proc-stat-read', `/proc/stat could not be read (${(e as NodeJS.ErrnoException).code ?? e}): `
        + 'the next reading will cover the gap.');
    }
    if (now === null) return;
    const last = this.#last;
    // A skipped reading is exact here: the next delta of cumulative CPU times covers the gap.
    if (last === null) sink.setPower(offset, loadCurveW(this.tdp.tdpW, 0));
    else if (now.total > last.total) sink.setPower(offset, loadCurveW(this.tdp.tdpW, (now.busy - last.busy) / (now.total - last.total)));
    else return;
    this.#last = now;
  }

  prime(sink: ReadingSink, offset: number, mark: MarkReading): void {
    if (mark.procStat === null) return;
    this.#last = mark.procStat;
    sink.setPower(offset, 0); // a time base: a mean-power reading covers the interval before it
  }

  close(): void {
    this.cpu.close();
  }
}

/**
 * Process mode: the process tree's CPU time ÷ wall time ÷ usable CPUs × TDP (linear, no floor).
 * /proc shows some of the tree's CPU time late and at once: a descendant's time since its birth
 * when a walk first finds it, and a child that lived and died between two walks only when reaped,
 * in its parent's cutime. That time was used before the reading that finds it, so it counts in
 * full in the interval ending there, the earliest a timeline written forward can hold it; power
 * there can exceed TDP, which the channel's ceiling allows and a warning says. Carrying it forward
 * at full load instead would put it later still, and a stop's record (read at the stop mark, before
 * the sample that a stop asks for) would lose what was still owed.
 */
class ProcessLoadSource implements EnergySource {
  readonly channels: readonly ChannelInfo[];
  /** When the last reading was taken, and the tree's CPU seconds counted up to it. */
  #last: { countedS: number; tMs: number } | null = null;

  constructor(readonly tdp: TdpMatch, readonly tree: ProcessTree, readonly cpus: number, readonly warn: Warn) {
    this.channels = [{
      ...estimate(tdp, 'cpu-process', `estimate: TDP × process-tree CPU time ÷ wall time ÷ ${cpus} usable CPUs`),
      maxPowerW: Number.POSITIVE_INFINITY,
    }];
  }

  read(sink: ReadingSink, offset: number, tMs: number): void {
    this.tree.refresh(tMs);
    const cpuS = this.tree.cpuSeconds();
    if (cpuS === null) {
      this.warn('proc-pid-stat', `/proc/${this.tree.pid}/stat could not be read: the next reading will cover the gap.`);
      return;
    }
    const last = this.#last;
    if (last === null) {
      sink.setPower(offset, 0);
      this.#last = { countedS: cpuS, tMs };
      return;
    }
    const dtS = (tMs - last.tMs) / 1000;
    if (dtS <= 0) return;
    // A dip is a child reaped while the tree was read (in neither its own stat nor its parent's yet):
    // the high-water mark waits until its time shows in its parent's cutime, so that it counts once.
    const usedS = Math.max(0, cpuS - last.countedS);
    this.#sayIfLate(usedS, dtS);
    sink.setPower(offset, (this.tdp.tdpW * usedS) / dtS / this.cpus);
    this.#last = { countedS: Math.max(last.countedS, cpuS), tMs };
  }

  /** Warns (once) when an interval holds more CPU time than the usable CPUs give, beyond /proc's rounding. */
  #sayIfLate(usedS: number, dtS: number): void {
    // utime and stime are each rounded down to a jiffy: a process's reading can run that far ahead of the last one's.
    const roundingS = (2 * this.tree.size) / clockTicksPerSecond;
    if (usedS <= dtS * this.cpus + roundingS) return;
    this.warn('cpu-process-late', `process mode: ${usedS.toFixed(2)} CPU-s of the process tree showed in /proc at once, `
      + `more than ${this.cpus} usable CPUs give in the ${dtS.toFixed(3)} s since the previous reading (a descendant found `
      + 'only by this walk of the tree, or reaped before any walk found it; or a burst above a cgroup CPU quota): counted in '
      + 'full in that interval, later than it was used and above TDP there, so that none is dropped.');
  }

  prime(sink: ReadingSink, offset: number, mark: MarkReading): void {
    if (mark.processCpuS === null) return;
    this.#last = { countedS: mark.processCpuS, tMs: mark.tMs };
    sink.setPower(offset, 0); // a time base: a mean-power reading covers the interval before it
  }

  close(): void {}
}

/** Constant power: CodeCarbon's constant mode, or a forced RAM figure. */
export class ConstantSource implements EnergySource {
  readonly channels: readonly ChannelInfo[];

  constructor(channel: Omit<ChannelInfo, 'kind' | 'maxPowerW'>, readonly watts: number) {
    this.channels = [{ ...channel, kind: 'mean-power', maxPowerW: watts }];
  }

  read(sink: ReadingSink, offset: number): void {
    sink.setPower(offset, this.watts);
  }

  prime(sink: ReadingSink, offset: number): void {
    sink.setPower(offset, this.watts);
  }

  close(): void {}
}

/** Opens the CPU estimator for a tracking mode; falls back to the constant when /proc is unreadable. */
export function openCpuEstimate(opts: {
  tdp: TdpMatch; mode: 'machine' | 'process'; procDir: string; pid: number; usableCpus: number; warn: Warn;
}): EnergySource {
  const { tdp, warn } = opts;
  if (opts.mode === 'process') return new ProcessLoadSource(tdp, new ProcessTree(opts.procDir, opts.pid), opts.usableCpus, warn);
  try {
    return new MachineLoadSource(tdp, new MachineCpu(opts.procDir), warn);
  } catch (e) {
    const watts = tdp.tdpW * constantModeShare;
    warn('proc-stat-open', `${opts.procDir}/stat cannot be read (${(e as NodeJS.ErrnoException).code ?? e}): `
      + `CPU power is estimated as a constant ${constantModeShare} × TDP = ${watts} W.`);
    return new ConstantSource({
      id: 'tdp-constant', component: 'cpu', source: 'tdp-constant', measured: false,
      detail: `estimate: constant ${constantModeShare} × TDP = ${watts} W (CPU load unreadable); ${tdp.detail}`,
    }, watts);
  }
}
