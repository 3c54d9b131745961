import { WorkflowFailedError } from '@temporalio/client';
import type { MigrationReport } from '../../workflows/types';
import { uniqueSuffix } from '../helpers/env';
import { countRows, createSimpleSource, pgQuery } from '../helpers/pg';
import { parsed, pgSpec } from '../helpers/specs';
import { startHarness, type TemporalHarness } from '../helpers/temporal';

const SCHEMA = 'dm_test';

/** A target whose CHECK constraint rejects every row with n = 7 (10 of each 1000 source rows). */
async function pickyTarget(table: string) {
  await pgQuery(`CREATE TABLE ${SCHEMA}.${table} (id bigint PRIMARY KEY, n integer NOT NULL CHECK (n <> 7), payload text)`);
}

describe('bad records follow onRecordError', () => {
  let h: TemporalHarness;
  const src = `rec_src_${uniqueSuffix()}`;
  beforeAll(async () => {
    h = await startHarness('records');
    await createSimpleSource(SCHEMA, src, 10_000);
  }, 60_000);
  afterAll(async () => h?.stop());

  test('quarantine: bad rows go to the dead-letter table with their error, the rest arrive', async () => {
    const tgt = `rec_q_${uniqueSuffix()}`;
    await pickyTarget(tgt);
    const spec = parsed({ ...pgSpec(`quarantine-${tgt}`, src, tgt, { batchSize: 500 }), onRecordError: 'quarantine' });
    const report: MigrationReport = await h.client.workflow.execute('migrationWorkflow', { taskQueue: h.taskQueue, workflowId: `rq-${tgt}`, args: [{ spec }] });
    expect(report.quarantined).toBe(10);
    expect(report.rows).toBe(9_990);
    expect(await countRows(`${SCHEMA}.${tgt}`)).toBe(9_990);
    const dead = await pgQuery<{ record_key: string; error: string; stage: string; record: { n: number } }>(
      `SELECT record_key, error, stage, record FROM ${SCHEMA}._datamigrato_dead_letters WHERE job = $1 ORDER BY record_key::bigint`,
      [spec.name],
    );
    expect(dead).toHaveLength(10);
    expect(dead.map((d) => d.record_key)).toEqual(['7', '1007', '2007', '3007', '4007', '5007', '6007', '7007', '8007', '9007']);
    expect(dead[0]).toMatchObject({ stage: 'write', record: { n: 7 } });
    expect(dead[0]!.error).toMatch(/check constraint/);
    // Validation sees exactly the quarantined rows missing.
    expect(report.validation).toMatchObject({ status: 'mismatch', source: { count: 10_000 }, target: { count: 9_990 } });
  }, 180_000);

  test('fail: the run stops, non-retryable, naming the record', async () => {
    const tgt = `rec_f_${uniqueSuffix()}`;
    await pickyTarget(tgt);
    const spec = parsed(pgSpec(`fail-${tgt}`, src, tgt, { batchSize: 500 }));
    const err = await h.client.workflow.execute('migrationWorkflow', { taskQueue: h.taskQueue, workflowId: `rf-${tgt}`, args: [{ spec }] }).catch((e) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(err.cause.type).toBe('RecordError');
    expect(err.cause.message).toMatch(/record with key (\d*00)?7 in partition \d+ rejected at write: .*check constraint/);
    expect(err.cause.message).toMatch(/onRecordError: quarantine/);
  }, 180_000);
});
