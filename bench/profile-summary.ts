/**
 * Where a worker's time went: reads the .cpuprofile files bench/cpu-profile.cjs wrote (BENCH_WORKER_CPU_PROF=<dir>)
 * and prints self time by category and the functions that cost most.
 *   npx tsx bench/profile-summary.ts <dir or file.cpuprofile> [top=25]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Categories by where the code lives, first match wins: a table, so a new one is one line. */
const CATEGORIES: [string, (url: string, fn: string) => boolean][] = [
  ['idle (waiting on I/O)', (_u, fn) => fn === '(idle)'],
  ['garbage collection', (_u, fn) => fn === '(garbage collector)'],
  ['checksum (canonical encoding + hash)', (u) => /src\/validation\//.test(u)],
  ['pg driver (protocol, row parsing)', (u) => /node_modules\/(pg|pg-protocol|pg-types|pg-copy-streams|postgres-)/.test(u)],
  ['postgres connector (type parsers, COPY text)', (u) => /src\/connectors\/postgres\//.test(u)],
  ['transform', (u) => /src\/transform\//.test(u)],
  ['engine (copy loop, read-ahead)', (u) => /src\/engine\//.test(u)],
  ['temporal sdk', (u) => /@temporalio\//.test(u)],
  ['other node_modules', (u) => /node_modules\//.test(u)],
  ['node internals', (u) => /^node:|^internal\//.test(u)],
  ['native / V8 builtins', (u) => u === ''],
];

function profilesIn(target: string): string[] {
  if (!statSync(target).isDirectory()) return [target];
  return readdirSync(target)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(target, f));
}

function selfTimes(profile: Profile): Map<ProfileNode, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<ProfileNode, number>();
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)!;
    self.set(node, (self.get(node) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return self;
}

function main(): void {
  const [target, topArg] = process.argv.slice(2);
  if (!target) throw new Error('usage: profile-summary.ts <dir or file.cpuprofile> [top]');
  const byCategory = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  for (const file of profilesIn(target)) {
    for (const [node, us] of selfTimes(JSON.parse(readFileSync(file, 'utf8')) as Profile)) {
      const { functionName, url, lineNumber } = node.callFrame;
      const fn = functionName || '(anonymous)';
      const category = CATEGORIES.find(([, match]) => match(url, fn))?.[0] ?? 'other';
      byCategory.set(category, (byCategory.get(category) ?? 0) + us);
      const where = url ? `${url.replace(/^.*\/(node_modules|src)\//, '$1/')}:${lineNumber + 1}` : '';
      const key = `${fn} ${where}`.trim();
      byFunction.set(key, (byFunction.get(key) ?? 0) + us);
      total += us;
    }
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)} %`;
  console.log(`${(total / 1e6).toFixed(1)} s sampled`);
  for (const [name, us] of [...byCategory].sort((a, b) => b[1] - a[1])) console.log(`  ${pct(us)}  ${name}`);
  console.log('top functions (self time):');
  for (const [name, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg ?? 25))) console.log(`  ${pct(us)}  ${name}`);
}

main();
