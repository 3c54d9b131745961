import { StoppedError } from '../errors';
import type { ConnectorSession } from '../connectors/contract';
import type { JobSpec } from '../job/job-spec';
import type { KeyRange, ObjectSchema, Row } from '../model/types';
import type { CompiledTransform } from '../transform/compile';
import { KEEP_ALIVE_MS } from './copy-chunk';

/** Keeps an activity alive and stoppable while it streams many ranges: the adapter heartbeats `onProgress`. */
export interface StreamHooks {
  onProgress(p: { phase: string; rows: number }): void;
  stopRequested(): boolean;
}

/**
 * Streams what one side holds over a list of ranges, as the target is expected to hold it: source rows go
 * through the transform first (a row the transform rejects was quarantined or failed the run during the
 * copy, so it is not expected on the target). Memory is one batch.
 */
export async function* sideRows(
  session: ConnectorSession,
  opts: { spec: JobSpec; side: 'source' | 'target'; sourceSchema: ObjectSchema; transform: CompiledTransform; ranges: readonly KeyRange[] },
  hooks: StreamHooks,
  phase: string,
): AsyncIterable<Row> {
  const { spec, side, sourceSchema, transform } = opts;
  const readSchema = side === 'source' ? sourceSchema : transform.schema;
  let rows = 0;
  const keepAlive = setInterval(() => hooks.onProgress({ phase, rows }), KEEP_ALIVE_MS);
  try {
    for (const range of opts.ranges) {
      for await (const batch of session.read(readSchema, range, null, Math.max(spec.batchSize, 1000))) {
        for (const row of batch.rows) {
          if (side === 'target') {
            yield row;
            continue;
          }
          let out: Row | null | undefined;
          try {
            out = transform.apply(row);
          } catch {
            continue;
          }
          if (out) yield out;
        }
        rows += batch.rows.length;
        hooks.onProgress({ phase, rows });
        if (hooks.stopRequested()) throw new StoppedError({ phase, rows });
      }
    }
  } finally {
    clearInterval(keepAlive);
  }
}
