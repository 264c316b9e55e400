// Profiles the federation-join scenario at a chosen size: `node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx
// bench/profile-join.ts 2000`. The three servers run in this process, so the profile covers both sides of the join.
import { run } from './scenarios/federation-join.js';

const members = Number(process.argv[2] ?? 1000);
const cpu0 = process.cpuUsage();
const result = await run(false, members);
const cpu = process.cpuUsage(cpu0);
for (const row of result.rows) process.stdout.write(`${JSON.stringify(row)}\n`);
process.stdout.write(`${JSON.stringify({ members, cpuS: Math.round((cpu.user + cpu.system) / 1e4) / 100 })}\n`);
