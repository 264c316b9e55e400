// Sums a V8 CPU profile (node --cpu-prof) by function, where Chrome DevTools would show a whole run at once:
// `node --import tsx bench/cpuprofile-summary.ts FILE.cpuprofile [top]` prints each function's self time and,
// separately, its inclusive time (counted once per sample however often it recurs), largest first.
// WINDOWS=F keeps only the samples inside the `window START END` lines of F (microseconds on the monotonic
// clock, as bench/profile-fanout.ts prints them with WINDOWS=1); LAST=S only those of the profile's last S seconds;
// NOIDLE=1 drops V8's (idle) and (program) samples from both lists and the total.
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: bench/cpuprofile-summary.ts FILE.cpuprofile [top]');
const top = Number(topArg ?? 40);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const windows = process.env.WINDOWS
  ? readFileSync(process.env.WINDOWS, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('window '))
      .map((l) => l.split(' ').slice(1, 3).map(Number) as [number, number])
  : null;
const from = process.env.LAST ? profile.endTime - Number(process.env.LAST) * 1e6 : -Infinity;
const noIdle = process.env.NOIDLE === '1';

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const label = (f: CallFrame) => `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\//, '')}${f.url ? `:${f.lineNumber + 1}:${f.columnNumber + 1}` : ''}`;

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let total = 0;
let at = profile.startTime;
for (let i = 0; i < profile.samples.length; i++) {
  at += profile.timeDeltas[i] ?? 0;
  // A sample stands for the time until the next one.
  const span = profile.timeDeltas[i + 1] ?? 0;
  if (at < from || (windows !== null && !windows.some(([a, b]) => at >= a && at <= b))) continue;
  let id: number | undefined = profile.samples[i] as number;
  const leaf = (byId.get(id) as ProfileNode).callFrame;
  if (noIdle && (leaf.functionName === '(idle)' || leaf.functionName === '(program)')) continue;
  total += span;
  self.set(label(leaf), (self.get(label(leaf)) ?? 0) + span);
  const seen = new Set<string>();
  for (; id !== undefined; id = parent.get(id)) {
    const key = label((byId.get(id) as ProfileNode).callFrame);
    if (key.startsWith('(root)') || seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + span);
  }
}

const print = (title: string, m: Map<string, number>) => {
  process.stdout.write(`${title}\n`);
  for (const [key, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${(us / 1000).toFixed(1).padStart(9)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${key}\n`);
  }
};
process.stdout.write(`${(total / 1000).toFixed(1)} ms sampled\n`);
print('self', self);
print('inclusive', inclusive);
