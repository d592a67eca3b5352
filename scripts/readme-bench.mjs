#!/usr/bin/env node
// Rewrites the benchmark table in README.md (between the bench markers) from bench/results.json.
import { readFileSync, writeFileSync } from 'node:fs';

const results = JSON.parse(readFileSync('bench/results.json', 'utf8'));
const fmt = (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toPrecision(3));
const rows = results.figures.map((f) => `| ${f.name} | ${fmt(f.value)} ${f.unit} | ${f.goal ?? ''} |`);
const table = ['<!-- bench -->', `Run of ${results.date.slice(0, 10)}: \`${results.command}\` on ${results.machine.cpu}, `
  + `${results.machine.cores} cores, Node ${results.machine.node}.`, '', '| figure | value | goal |', '|---|---|---|', ...rows,
  '<!-- /bench -->'].join('\n');
const readme = readFileSync('README.md', 'utf8');
writeFileSync('README.md', readme.replace(/<!-- bench -->[\s\S]*<!-- \/bench -->|BENCH_TABLE/, table));
