import { createReadStream } from 'node:fs';
import { mkdir, open, rename } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { loadConfig } from '../config';
import { configError } from '../errors';
import type { DiffEntry } from './diff-types';
export { diffRefOf } from './diff-types';

/**
 * Diff lists live in files (JSON Lines, one DiffEntry per line) under one directory the workers, the API and
 * the CLI share — not in the target store, so every connector gets them without code of its own, and not in
 * workflow history, which only holds the file's reference and the counts.
 */

export const diffDir = (): string => loadConfig().DATAMIGRATO_DIFF_DIR ?? path.join(os.homedir(), '.cache', 'datamigrato', 'diffs');

/** A reference is `<migration id>/<label>.jsonl`; anything else (`..`, absolute paths) is refused. */
const REF = /^[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+\.jsonl$/;

export function diffPath(ref: string, dir = diffDir()): string {
  if (!REF.test(ref) || ref.includes('..')) throw configError(`invalid diff reference "${ref.slice(0, 120)}"`);
  return path.join(dir, ref);
}

/** Writes the whole list to a temporary file and renames it: a retried activity replaces, never appends. */
export async function writeDiffs(ref: string, entries: readonly DiffEntry[], dir = diffDir()): Promise<void> {
  const file = diffPath(ref, dir);
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    let chunk = '';
    for (const e of entries) {
      chunk += `${JSON.stringify(e)}\n`;
      if (chunk.length > 1 << 16) {
        await fh.write(chunk);
        chunk = '';
      }
    }
    await fh.write(chunk);
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
}

/** Streams a list line by line; a missing file is a clear error naming the path and the variable. */
export async function* readDiffs(ref: string, dir = diffDir()): AsyncIterable<DiffEntry> {
  const file = diffPath(ref, dir);
  const stream = createReadStream(file, 'utf8');
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', reject);
  });
  try {
    await opened;
  } catch (err) {
    throw configError(
      `diff list ${file} is not readable here (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): ` +
        'DATAMIGRATO_DIFF_DIR must name the directory the workers write to',
    );
  }
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) if (line) yield JSON.parse(line) as DiffEntry;
}
