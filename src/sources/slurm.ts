// A SLURM job's share of the node, as CodeCarbon reads it: `scontrol show job $SLURM_JOB_ID` gives
// the CPUs (NumCPUs=) and the memory (mem= in AllocTRES, else TRES) the job was allocated, so a
// job on a large node is counted for what it holds, not for the node.

/** What the job holds; a field is null where scontrol did not say it. */
export interface SlurmJob {
  readonly jobId: string;
  readonly cpus: number | null;
  readonly memBytes: number | null;
}

const unitBytes: Readonly<Record<string, number>> = { K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** A TRES list's `mem=` (e.g. `cpu=4,mem=16G,node=1`) in bytes; SLURM's sizes are binary, M when no unit. */
function tresMem(tres: string | undefined): number | null {
  const m = /(?:^|,)mem=([\d.]+)([KMGT]?)/.exec(tres ?? '');
  if (m === null) return null;
  const n = Number(m[1]);
  return Number.isFinite(n) && n > 0 ? n * unitBytes[m[2] || 'M']! : null;
}

/** Reads `scontrol show job` output: NumCPUs, and mem from AllocTRES (then TRES). */
export function parseSlurmJob(jobId: string, text: string): SlurmJob {
  const field = (name: string): string | undefined => new RegExp(`(?:^|\\s)${name}=(\\S*)`).exec(text)?.[1];
  const cpus = Number(field('NumCPUs'));
  return { jobId, cpus: Number.isInteger(cpus) && cpus > 0 ? cpus : null, memBytes: tresMem(field('AllocTRES')) ?? tresMem(field('TRES')) };
}

/**
 * The SLURM job this process runs in (SLURM_JOB_ID, or the older SLURM_JOBID), or null outside one.
 * `warn` says why the job's figures could not be read (no scontrol, a time-out): the node's are used.
 */
export function readSlurmJob(env: NodeJS.ProcessEnv, warn: (message: string) => void): SlurmJob | null {
  const jobId = env['SLURM_JOB_ID'] || env['SLURM_JOBID'];
  if (!jobId) return null;
  let text: string;
  try {
    // Loaded here, under SLURM only: one more built-in in the sampler thread costs every start 1-2 ms.
    const { execFileSync } = process.getBuiltinModule('node:child_process');
    text = execFileSync('scontrol', ['show', 'job', jobId], { encoding: 'utf8', timeout: 2000, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (e) {
    warn(`SLURM job ${jobId}: \`scontrol show job ${jobId}\` could not be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): `
      + 'the node\'s CPU count and memory are used instead of the job\'s; put scontrol on PATH');
    return null;
  }
  const job = parseSlurmJob(jobId, text);
  if (job.cpus === null || job.memBytes === null) {
    warn(`SLURM job ${jobId}: \`scontrol show job\` gave no ${job.cpus === null ? 'NumCPUs' : 'mem= in AllocTRES or TRES'}: `
      + 'the node\'s figure is used for it');
  }
  return job;
}
