// The codecarbon command line run in this process, its stdout and stderr captured: for usage and
// parse errors, which need no process of their own (a spawn costs a Node start-up each).
import { format } from 'node:util';
import { runCli } from '../../src/cli/run.js';

/** What a command line printed and its exit status. */
export interface CliOutcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `args` as `codecarbon` would, here; console output is captured while it runs. */
export async function cliHere(args: string[]): Promise<CliOutcome> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]): void => { out.push(`${format(...a)}\n`); };
  console.error = (...a: unknown[]): void => { err.push(`${format(...a)}\n`); };
  try {
    const code = await runCli(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    console.log = log;
    console.error = error;
  }
}
