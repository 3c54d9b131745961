import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * One timed pgloader run of a command file (`LOAD DATABASE …`), in a root dir of its own. SBCL's default 1 GB heap
 * is exhausted at 10M rows ("Heap exhausted, game over"), so every run gets 4 GB, whatever the pair or size.
 */
export function runPgloader(commands: string): { ms: number } {
  const dir = mkdtempSync(path.join(tmpdir(), 'dm-pgloader-'));
  const file = path.join(dir, 'load.load');
  writeFileSync(file, commands);
  try {
    const t0 = Date.now();
    const out = execFileSync('pgloader', ['--dynamic-space-size', '4096', '--root-dir', dir, file], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const ms = Date.now() - t0;
    if (process.env.BENCH_VERBOSE) console.log(out);
    return { ms };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
