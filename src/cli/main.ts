#!/usr/bin/env node
// The codecarbon command (bin): runs the command line and exits with its status.
import { runCli } from './run.js';

process.exitCode = await runCli(process.argv.slice(2));
