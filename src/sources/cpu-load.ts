// CPU power estimates when no counter is readable: CodeCarbon's load curve, process share, constant.
import type { TdpMatch } from './cpu-info.js';
import { MachineCpu, ProcessTree, type CpuTimes } from './proc.js';
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

/** Process mode: the process tree's CPU time ÷ wall time ÷ usable CPUs × TDP (linear, no floor). */
class ProcessLoadSource implements EnergySource {
  readonly channels: readonly ChannelInfo[];
  #last: { cpuS: number; tMs: number } | null = null;
  #ticks = 0;

  constructor(readonly tdp: TdpMatch, readonly tree: ProcessTree, readonly cpus: number, readonly warn: Warn) {
    this.channels = [estimate(tdp, 'cpu-process',
      `estimate: TDP × process-tree CPU time ÷ wall time ÷ ${cpus} usable CPUs`)];
  }

  read(sink: ReadingSink, offset: number, tMs: number): void {
    // Children come and go rarely; finding them costs a directory walk, so once a second at 10 Hz.
    if (this.#ticks++ % 10 === 0) this.tree.refresh();
    const cpuS = this.tree.cpuSeconds();
    if (cpuS === null) {
      this.warn('proc-pid-stat', `/proc/${this.tree.pid}/stat could not be read: the next reading will cover the gap.`);
      return;
    }
    const last = this.#last;
    const dtS = last === null ? 0 : (tMs - last.tMs) / 1000;
    if (last !== null && dtS <= 0) return;
    const share = last === null ? 0 : Math.min(1, Math.max(0, (cpuS - last.cpuS) / dtS / this.cpus));
    sink.setPower(offset, this.tdp.tdpW * share);
    this.#last = { cpuS, tMs };
  }

  prime(sink: ReadingSink, offset: number, mark: MarkReading): void {
    if (mark.processCpuS === null) return;
    this.#last = { cpuS: mark.processCpuS, tMs: mark.tMs };
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
