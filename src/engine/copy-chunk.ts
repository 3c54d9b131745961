import { configError, DatamigratoError, StoppedError } from '../errors';
import type { IncrementalWindow } from '../incremental/window';
import { isSoftDeleted } from '../incremental/soft-delete';
import type { ConnectorSession } from '../connectors/contract';
import { keyText } from '../model/keys';
import type { Cursor, KeyRange, ObjectSchema, QuarantinedRecord, RecordStage, RejectedRecord, Row, RowBatch } from '../model/types';
import { compileJobForRows } from './job-schema';
import type { JobSpec } from '../job/job-spec';
import { RowDigester } from '../validation/checksum';
import { emptyDigest, mergeDigests, type Digest } from '../validation/digest';
import { passthroughUnsupported } from './plan';
import { validatedInStores } from './store-digest';
import { readAhead } from './read-ahead';
import { carryEncoded } from '../model/encoded';
import { encodedFieldsOf, type EncodedFields } from './encoded-fields';
import { withEndpoints } from './sessions';

export interface ChunkInput {
  spec: JobSpec;
  sourceSchema: ObjectSchema;
  partition: KeyRange;
  /** Where the previous chunk of this partition stopped; null = start of the range. */
  cursor: Cursor | null;
  /** Identifies the run in dead-letter records. */
  runId: string;
  /** mode incremental: the run's window; the partition is then read in (cursor, key) order and `cursor` is a Watermark. */
  incremental?: IncrementalWindow;
}

/** What a chunk has done so far; heartbeated after every batch so a retry resumes from it. */
export interface ChunkProgress {
  cursor: Cursor | null;
  rows: number;
  quarantined: number;
  batches: number;
  digest: Digest;
  /** Field values left out under `onUnknownField: drop` (absent in progress recorded before it existed). */
  droppedFields?: number;
  /** Rows a `filter` step left out: read, not written, not expected on the target. */
  filtered?: number;
  /** mode incremental with softDelete: target rows deleted because the source marked them (absent when none). */
  deleted?: number;
}

export interface ChunkResult extends ChunkProgress {
  /** The range is exhausted: no chunk follows. */
  done: boolean;
  /** Set when this attempt resumed from a heartbeat of an earlier, interrupted attempt. */
  resumedFrom: { rows: number; cursor: Cursor | null } | null;
  elapsedMs: number;
}

export interface ChunkHooks {
  /** Progress recorded after a resumed attempt's last heartbeat, if any. */
  resumeFrom?: ChunkProgress;
  /**
   * Called after every written batch, and every few seconds while a batch is still on its way (with the
   * progress so far, unchanged): the adapter heartbeats it.
   */
  onBatch(progress: ChunkProgress): void;
  /** True once cancellation was requested: the chunk stops after the batch in hand. */
  stopRequested(): boolean;
  now?: () => number;
}

/** Well inside the copy activity's heartbeat timeout (20 s). */
export const KEEP_ALIVE_MS = 5_000;

type Rejected = RejectedRecord & { stage: RecordStage };

/** A transformed batch waiting for its write. */
interface PreparedBatch {
  batch: RowBatch;
  out: Row[];
  rejected: Rejected[];
  toDelete: Row[];
  filtered: number;
}

/**
 * Copies one bounded chunk of a partition: read a batch after the cursor, transform, upsert, digest,
 * report. Bounded by batches and seconds so the workflow regains control (pause, continue-as-new).
 */
export async function copyChunk(input: ChunkInput, hooks: ChunkHooks): Promise<ChunkResult> {
  const { spec, sourceSchema, partition } = input;
  const now = hooks.now ?? Date.now;
  const started = now();
  const transform = await compileJobForRows(spec, sourceSchema);
  const resumed = hooks.resumeFrom ?? null;
  const softDelete = input.incremental ? spec.incremental?.softDelete : undefined;
  const progress: ChunkProgress = resumed ? { ...resumed } : { cursor: input.cursor, rows: 0, quarantined: 0, batches: 0, digest: emptyDigest() };

  return withEndpoints(
    [
      { side: 'source', endpoint: spec.source },
      { side: 'target', endpoint: spec.target },
    ],
    async ({ source, target }) => {
      let done = true;
      // maxSeconds counts from the first batch, not from the query: a store that scans before its first row
      // (FerretDB sorts the whole collection for every range query) would otherwise end each chunk after one
      // batch and pay that scan again for the next chunk's fresh cursor — 61 documents/s on 336k documents.
      let clockFrom: number | undefined;
      let writing: Promise<void> | null = null;
      /** Waits for the write in flight, then does what follows every written batch; true when the chunk ends. */
      const settle = async (): Promise<boolean> => {
        const w = writing!;
        writing = null;
        await w;
        return endOfBatch();
      };
      // A store may take longer than the heartbeat timeout to produce a batch (FerretDB scans and sorts the
      // collection before its first row): without this the attempt is declared dead and restarts forever.
      const keepAlive = setInterval(() => hooks.onBatch({ ...progress }), KEEP_ALIVE_MS);
      /** After each batch: report, honour cancellation, and end the chunk at its bounds. */
      const endOfBatch = (): boolean => {
        hooks.onBatch({ ...progress });
        if (hooks.stopRequested()) throw new StoppedError({ ...progress });
        clockFrom ??= now();
        if (progress.batches % spec.chunk.maxBatches === 0 || now() - clockFrom >= spec.chunk.maxSeconds * 1000) {
          done = false;
          return true;
        }
        return false;
      };
      try {
        if (spec.passthrough) {
          if (!source.readRaw || !target.writeRaw) throw passthroughUnsupported(spec);
          for await (const raw of readAhead(source.readRaw(sourceSchema, partition, progress.cursor, spec.batchSize))) {
            if ((await target.writeRaw(transform.schema, raw)) === 'written') {
              progress.rows += raw.rows;
              progress.batches++;
              progress.cursor = raw.cursor;
            } else {
              // The server refused something in the batch: the same page again, as rows, finds the records at fault.
              const rows = await firstBatch(source, progress.cursor);
              if (rows) await writeRows(target, prepareRows(rows), false);
              progress.cursor = raw.cursor;
            }
            if (endOfBatch()) break;
          }
        } else {
          // Validation in the stores never compares the copy's checksum: it would be a fifth of the row path's CPU for nothing.
          const digest = !validatedInStores(spec);
          // Nor does anything read the fields the steps only move: they may travel in the stores' wire text.
          const encoded = await encodedFieldsOf(spec, sourceSchema, transform, source, target, Boolean(input.incremental));
          // Three batches overlap: page n + 2 is read while n + 1 is transformed and n is written (two batches of
          // memory more). Writes stay in order, one at a time, and progress moves only when one has finished.
          for await (const batch of readAhead(readRows(source, progress.cursor, encoded))) {
            const prepared = prepareRows(batch, encoded);
            if (writing && (await settle())) break;
            writing = writeRows(target, prepared, digest, encoded);
            writing.catch(() => undefined); // awaited by settle(); until then a failure must not go unhandled
          }
          if (writing) await settle();
        }
      } finally {
        clearInterval(keepAlive);
        // Leaving on a read error: the write in flight ends before the sessions close.
        if (writing) await writing.catch(() => undefined);
      }
      return { ...progress, done, resumedFrom: resumed ? { rows: resumed.rows, cursor: resumed.cursor } : null, elapsedMs: now() - started };
    },
    transform.secrets,
  );

  function readRows(source: ConnectorSession, after: Cursor | null, encoded: EncodedFields | null): AsyncIterable<RowBatch> {
    if (!input.incremental) return source.read(sourceSchema, partition, after, spec.batchSize, encoded?.source);
    if (!source.readIncremental) throw configError(`mode: incremental is not supported by source type ${spec.source.type}`, spec.source.type);
    return source.readIncremental(sourceSchema, input.incremental, after, spec.batchSize);
  }

  async function firstBatch(source: ConnectorSession, after: Cursor | null): Promise<RowBatch | null> {
    for await (const batch of source.read(sourceSchema, partition, after, spec.batchSize)) return batch;
    return null;
  }

  /** Transforms one batch: pure, so it may run while the previous batch is still being written. */
  function prepareRows(batch: RowBatch, encoded: EncodedFields | null = null): PreparedBatch {
    const out: Row[] = [];
    const rejected: Rejected[] = (batch.rejected ?? []).map((r) => ({ ...r, stage: 'read' as const }));
    const toDelete: Row[] = [];
    let filtered = 0;
    for (const row of batch.rows) {
      try {
        const t = transform.apply(row);
        if (t && encoded) carryEncoded(row, t);
        if (t && softDelete && isSoftDeleted(row, softDelete)) toDelete.push(t);
        else if (t) out.push(t);
        else filtered++;
      } catch (err) {
        // A job problem (a mask key that did not resolve) is not one record's fault.
        if (err instanceof DatamigratoError) throw err;
        rejected.push({ row, error: (err as Error).message, stage: 'transform' });
      }
    }
    return { batch, out, rejected, toDelete, filtered };
  }

  /** Upserts a prepared batch, quarantines or fails on its rejected records, digests it and advances progress. */
  async function writeRows(target: ConnectorSession, prepared: PreparedBatch, digest: boolean, encoded: EncodedFields | null = null): Promise<void> {
    const { batch, out, rejected, toDelete, filtered } = prepared;
    if (filtered) progress.filtered = (progress.filtered ?? 0) + filtered;
    // Deleted by the transformed key, as the target names it; a key the target never had counts nothing.
    if (toDelete.length) progress.deleted = (progress.deleted ?? 0) + (await target.deleteKeys!(transform.schema, toDelete));
    const outcome = await target.write(transform.schema, out, encoded?.target);
    const rejectedRows = new Set(outcome.rejected.map((r) => r.row));
    rejected.push(...outcome.rejected.map((r) => ({ ...r, stage: 'write' as const })));
    if (rejected.length) await handleRejected(input, target, rejected);

    if (digest) {
      const digester = new RowDigester(transform.schema);
      for (const row of out) if (!rejectedRows.has(row)) digester.add(row);
      progress.digest = mergeDigests(progress.digest, digester.digest());
    }
    progress.rows += out.length - rejectedRows.size;
    progress.quarantined += rejected.length;
    if (batch.droppedFields) progress.droppedFields = (progress.droppedFields ?? 0) + batch.droppedFields;
    progress.batches++;
    progress.cursor = batch.cursor;
  }

  async function handleRejected(chunk: ChunkInput, target: { quarantine(records: QuarantinedRecord[]): Promise<void> }, rejected: Rejected[]): Promise<void> {
    // Rows rejected by the target carry the transformed key's names; earlier stages the source's.
    const keyOf = (r: Rejected) => keyText(r.row, r.stage === 'write' ? transform.schema.key : chunk.sourceSchema.key);
    if (chunk.spec.onRecordError === 'fail') {
      const first = rejected[0]!;
      throw new DatamigratoError(
        'RecordError',
        `record with key ${keyOf(first) ?? '(none)'} in partition ${chunk.partition.id} rejected at ${first.stage}: ${first.error}` +
          (rejected.length > 1 ? ` (and ${rejected.length - 1} more in the same batch)` : '') +
          '; set onRecordError: quarantine to store bad records and continue',
      );
    }
    await target.quarantine(
      rejected.map((r) => ({
        job: chunk.spec.name,
        runId: chunk.runId,
        partition: chunk.partition.id,
        key: keyOf(r),
        record: r.row,
        error: r.error,
        stage: r.stage,
      })),
    );
  }
}
