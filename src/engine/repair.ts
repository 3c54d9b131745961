import { DatamigratoError } from '../errors';
import type { ConnectorSession } from '../connectors/contract';
import { repairOptionsOf, type JobSpec } from '../job/job-spec';
import { keyText } from '../model/keys';
import type { KeyRange, ObjectSchema, Row } from '../model/types';
import type { RepairSummary } from '../validation/diff-types';
import { readDiffs } from '../validation/diff-store';
import { Fingerprinter } from '../validation/narrow';
import { compileJob } from './job-schema';
import { withEndpoints } from './sessions';
import { sideRows, type StreamHooks } from './side-rows';

export interface RepairInput {
  spec: JobSpec;
  sourceSchema: ObjectSchema;
  sourceRanges: KeyRange[];
  targetRanges: KeyRange[];
  /** The diff list to repair (a diff-store reference from narrowing). */
  ref: string;
  /** Identifies the run in dead-letter records. */
  runId: string;
}

/** Dead letters written while repairing carry this partition number (no copy partition wrote them). */
export const REPAIR_PARTITION = -1;

/**
 * Re-copies exactly the listed missing and different keys through the normal path (source read →
 * transform → target upsert) and, with `repair.deleteExtra`, deletes the listed extra target rows.
 * Rows are found by streaming each side and matching canonical keys, so it works for every pair of
 * connectors and any transform (a renamed or computed key included); the held key sets are bounded by
 * `validate.maxDiffs`, the rows by one batch.
 */
export async function repairDiffs(input: RepairInput, hooks: StreamHooks): Promise<RepairSummary> {
  const { spec, sourceSchema } = input;
  const transform = compileJob(spec, sourceSchema);
  const fp = new Fingerprinter(transform.schema);
  const recopy = new Set<string>();
  const extra = new Set<string>();
  for await (const e of readDiffs(input.ref)) (e.kind === 'extra' ? extra : recopy).add(e.k);

  const result: RepairSummary = { rewritten: 0, notInSource: 0, deleted: 0, extraNotDeleted: 0, quarantined: 0 };
  await withEndpoints(
    [
      { side: 'source', endpoint: spec.source },
      { side: 'target', endpoint: spec.target },
    ],
    async ({ source, target }) => {
      const common = { spec, sourceSchema, transform };
      if (recopy.size) {
        const found = new Set<string>();
        let batch: Row[] = [];
        for await (const row of sideRows(source, { ...common, side: 'source', ranges: input.sourceRanges }, hooks, 'repair source')) {
          const k = fp.keyOf(row);
          if (!recopy.has(k)) continue;
          found.add(k);
          batch.push(row);
          if (batch.length >= spec.batchSize) {
            await writeBatch(target, batch);
            batch = [];
          }
        }
        if (batch.length) await writeBatch(target, batch);
        result.notInSource = recopy.size - found.size;
      }
      if (extra.size) await deleteExtra(target, extra);
    },
  );
  return result;

  async function writeBatch(target: ConnectorSession, rows: Row[]): Promise<void> {
    const outcome = await target.write(transform.schema, rows);
    result.rewritten += rows.length - outcome.rejected.length;
    if (!outcome.rejected.length) return;
    const first = outcome.rejected[0]!;
    if (spec.onRecordError === 'fail')
      throw new DatamigratoError(
        'RecordError',
        `repair: record with key ${keyText(first.row, transform.schema.key) ?? '(none)'} rejected at write: ${first.error}; set onRecordError: quarantine to store bad records and continue`,
      );
    await target.quarantine(
      outcome.rejected.map((r) => ({
        job: spec.name,
        runId: input.runId,
        partition: REPAIR_PARTITION,
        key: keyText(r.row, transform.schema.key),
        record: r.row,
        error: r.error,
        stage: 'write' as const,
      })),
    );
    result.quarantined += outcome.rejected.length;
  }

  async function deleteExtra(target: ConnectorSession, keys: Set<string>): Promise<void> {
    if (!repairOptionsOf(spec).deleteExtra) {
      result.extraNotDeleted = keys.size;
      result.note = 'extra rows not deleted: repair.deleteExtra is off';
      return;
    }
    if (!target.deleteKeys) {
      result.extraNotDeleted = keys.size;
      result.note = `extra rows not deleted: connector ${spec.target.type} lacks delete`;
      return;
    }
    // Collected first, deleted after the scan: deleting under a store's own cursor could make it skip rows.
    const doomed: Row[] = [];
    for await (const row of sideRows(target, { spec, sourceSchema, transform, side: 'target', ranges: input.targetRanges }, hooks, 'repair target')) {
      if (keys.has(fp.keyOf(row))) doomed.push(Object.fromEntries(transform.schema.key.map((f) => [f, row[f]!])));
    }
    for (let i = 0; i < doomed.length; i += spec.batchSize) result.deleted += await target.deleteKeys(transform.schema, doomed.slice(i, i + spec.batchSize));
    result.extraNotDeleted = keys.size - result.deleted;
  }
}
