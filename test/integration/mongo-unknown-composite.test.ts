import { Int32, Long, ObjectId, type Document } from 'mongodb';
import type { MigrationReport } from '../../workflows/types';
import type { JobSpec, JobSpecInput } from '../../src/job/job-spec';
import { planMigration } from '../../src/engine/plan';
import { planTargetScan, scanRange } from '../../src/engine/validate';
import { compareScans, sumScans, type ValidationSummary } from '../../src/validation/digest';
import { uniqueSuffix } from '../helpers/env';
import { withMongo } from '../helpers/mongo';
import { ensureSchema, pgQuery } from '../helpers/pg';
import { startHarness, type TemporalHarness } from '../helpers/temporal';
import { TEST_DB as DB, cleanup, parsed } from '../helpers/cross';

/**
 * Schemaless sources lose nothing silently (onUnknownField), and composite keys through MongoDB, on the
 * real dev servers (FerretDB + PostgreSQL) through an in-process Temporal worker. FerretDB has no $sample:
 * describe() reads the first sampleSize documents, so a document seeded late is outside the sample.
 */
const PG_SCHEMA = 'dm_test';
const DOCS = 3_000;
const RARE = 2_500; // outside the first 100 documents the sample reads
const T0 = Date.UTC(2023, 4, 1);

const mongoSource = (collection: string, extra: Record<string, unknown> = {}) => ({
  type: 'mongodb' as const,
  connection: { url: { env: 'MONGO_URL' } },
  database: DB,
  collection,
  sampleSize: 100,
  ...extra,
});
// FerretDB: no Decimal128, and every replaceOne scans the collection, so insert first.
const mongoTarget = (collection: string) => ({ ...mongoSource(collection), writeMode: 'insert' as const, decimalAs: 'string' as const });
const pgEndpoint = (table: string) => ({ type: 'postgres' as const, connection: { url: { env: 'PG_URL' } }, schema: PG_SCHEMA, table });

/** 3,000 plain documents; the rare one also has two fields no other document has (a date and a sub-document). */
function plainDoc(i: number): Document {
  const doc: Document = { _id: new Int32(i), name: `doc ${i}`, n: Long.fromNumber(i * 1_000), at: new Date(T0 + i * 60_000) };
  if (i === RARE)
    Object.assign(doc, { rareNote: 'only here', rareMeta: { since: new Date(T0), ref: new ObjectId('65a1b2c3d4e5f60718293a4b'), level: new Int32(3) } });
  return doc;
}
const RARE_EXTRA = { rareNote: 'only here', rareMeta: { since: new Date(T0).toISOString(), ref: '65a1b2c3d4e5f60718293a4b', level: 3 } };

async function seed(collection: string, docs: Document[]): Promise<void> {
  await withMongo(async (c) => {
    const coll = c.db(DB).collection(collection);
    await coll.drop().catch(() => undefined);
    for (let i = 0; i < docs.length; i += 2_000) await coll.insertMany(docs.slice(i, i + 2_000), { ordered: false });
  });
}

/**
 * The engine's validation once more, as a later check of an existing target would run it: the same
 * planning, target scan and comparison the workflow uses, in process.
 */
async function revalidate(spec: JobSpec): Promise<ValidationSummary> {
  const plan = await planMigration(spec);
  const targetRanges = await planTargetScan(spec, plan.sourceSchema);
  const scan = (side: 'source' | 'target', ranges: typeof targetRanges) =>
    Promise.all(
      ranges.map((range) =>
        scanRange(
          { spec, side, sourceSchema: plan.sourceSchema, range },
          () => undefined,
          () => false,
        ),
      ),
    );
  const [src, tgt] = await Promise.all([scan('source', plan.partitions), scan('target', targetRanges)]);
  return compareScans(sumScans(src), sumScans(tgt));
}

describe('MongoDB: unknown fields and composite keys, on the real dev servers', () => {
  let h: TemporalHarness;
  const drop = cleanup();
  beforeAll(async () => {
    h = await startHarness('mongo-unknown');
    await ensureSchema(PG_SCHEMA);
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
    await drop.run();
  }, 120_000);

  const run = async (name: string, input: Omit<JobSpecInput, 'name'>): Promise<{ report: MigrationReport; spec: JobSpec }> => {
    const spec = parsed({ batchSize: 500, parallelism: 1, partitions: 1, chunk: { maxBatches: 10_000, maxSeconds: 600 }, ...input, name });
    const t0 = Date.now();
    const report: MigrationReport = await h.client.workflow.execute('migrationWorkflow', {
      taskQueue: h.taskQueue,
      workflowId: `${name}-${uniqueSuffix()}`,
      args: [{ spec }],
    });
    console.log(
      JSON.stringify({
        run: name,
        rows: report.rows,
        quarantined: report.quarantined,
        droppedFields: report.droppedFields,
        ms: Date.now() - t0,
        validation: report.validation?.status,
      }),
    );
    return { report, spec };
  };

  describe(`acceptance 5: ${DOCS} documents, sampleSize 100, one document with two extra fields outside the sample → PostgreSQL`, () => {
    const collection = `rare_${uniqueSuffix()}`;
    beforeAll(async () => {
      drop.collection(collection);
      await seed(
        collection,
        Array.from({ length: DOCS }, (_, k) => plainDoc(k + 1)),
      );
    }, 120_000);

    test('default (json): the two fields arrive in _extra; validation matches, and a lost _extra is a mismatch', async () => {
      const table = `rare_json_${uniqueSuffix()}`;
      drop.pgTable(table);
      const { report, spec } = await run('rare-json', { source: mongoSource(collection), target: pgEndpoint(table) });
      expect(report).toMatchObject({ status: 'completed', rows: DOCS, quarantined: 0, droppedFields: 0 });
      expect(report.validation).toMatchObject({ status: 'match', source: { count: DOCS }, target: { count: DOCS } });
      const cols = await pgQuery<{ c: string; t: string }>(
        'SELECT column_name AS c, data_type AS t FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
        [PG_SCHEMA, table],
      );
      expect(Object.fromEntries(cols.map((r) => [r.c, r.t]))).toMatchObject({ _extra: 'jsonb' });
      expect(cols.map((r) => r.c)).not.toContain('rareNote');
      const [rare] = await pgQuery<{ _extra: unknown }>(`SELECT _extra FROM ${PG_SCHEMA}.${table} WHERE _id = $1`, [RARE]);
      expect(rare!._extra).toEqual(RARE_EXTRA);
      const [others] = await pgQuery<{ n: string }>(`SELECT count(*) AS n FROM ${PG_SCHEMA}.${table} WHERE _extra IS NOT NULL`);
      expect(Number(others!.n)).toBe(1);

      // The two fields lost afterwards on the target: validation digests the whole source record.
      await pgQuery(`UPDATE ${PG_SCHEMA}.${table} SET _extra = NULL WHERE _id = $1`, [RARE]);
      const again = await revalidate(spec);
      expect(again).toMatchObject({ status: 'mismatch', source: { count: DOCS }, target: { count: DOCS } });
      expect(again.mismatchedBuckets).toHaveLength(1);
    }, 600_000);

    test('drop: the fields are left out and counted in the report', async () => {
      const table = `rare_drop_${uniqueSuffix()}`;
      drop.pgTable(table);
      const { report } = await run('rare-drop', { source: mongoSource(collection), target: pgEndpoint(table), onUnknownField: 'drop' });
      expect(report).toMatchObject({ status: 'completed', rows: DOCS, quarantined: 0, droppedFields: 2 });
      expect(report.validation).toMatchObject({ status: 'match' });
      const cols = await pgQuery<{ c: string }>('SELECT column_name AS c FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2', [
        PG_SCHEMA,
        table,
      ]);
      expect(cols.map((r) => r.c).sort()).toEqual(['_id', 'at', 'n', 'name']);
    }, 600_000);

    test('reject + quarantine: the document is in the dead-letter table with its key; the rest is copied', async () => {
      const table = `rare_reject_${uniqueSuffix()}`;
      drop.pgTable(table);
      const { report } = await run('rare-reject', {
        source: mongoSource(collection),
        target: pgEndpoint(table),
        onUnknownField: 'reject',
        onRecordError: 'quarantine',
      });
      expect(report).toMatchObject({ status: 'completed', rows: DOCS - 1, quarantined: 1, droppedFields: 0 });
      expect(report.validation).toMatchObject({ status: 'match', source: { count: DOCS - 1 }, target: { count: DOCS - 1 } });
      const letters = await pgQuery<{ record_key: string; stage: string; error: string; record: Record<string, unknown> }>(
        `SELECT record_key, stage, error, record FROM ${PG_SCHEMA}._datamigrato_dead_letters WHERE target_table = $1`,
        [`${PG_SCHEMA}.${table}`],
      );
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({ record_key: String(RARE), stage: 'read' });
      expect(letters[0]!.error).toMatch(/unknown field\(s\) rareNote, rareMeta/);
      expect(letters[0]!.record).toMatchObject({ _id: RARE, ...RARE_EXTRA });
      expect(await pgQuery(`SELECT 1 FROM ${PG_SCHEMA}.${table} WHERE _id = $1`, [RARE])).toHaveLength(0);
    }, 600_000);
  });

  test('MongoDB → MongoDB: unknown fields spread back to the top level, validation matches; an $unset one is a mismatch', async () => {
    const source = `rare_src_${uniqueSuffix()}`;
    const target = `rare_dst_${uniqueSuffix()}`;
    drop.collection(source);
    drop.collection(target);
    await seed(
      source,
      Array.from({ length: DOCS }, (_, k) => plainDoc(k + 1)),
    );
    const { report, spec } = await run('rare-mongo', { source: mongoSource(source), target: mongoTarget(target) });
    expect(report).toMatchObject({ status: 'completed', rows: DOCS, quarantined: 0 });
    expect(report.validation).toMatchObject({ status: 'match', source: { count: DOCS }, target: { count: DOCS } });
    await withMongo(async (c) => {
      const coll = c.db(DB).collection(target);
      const doc = (await coll.findOne({ _id: new Int32(RARE) } as Document))!;
      expect(doc).not.toHaveProperty('_extra');
      // Unforeseen fields travel in their JSON forms (a Date as ISO text): documented; sampleSize "all" keeps types.
      expect(doc).toMatchObject({ name: `doc ${RARE}`, ...RARE_EXTRA });
      expect(await coll.countDocuments({ _extra: { $exists: true } })).toBe(0);
      await coll.updateOne({ _id: new Int32(RARE) } as Document, { $unset: { rareNote: '' } });
    });
    expect(await revalidate(spec)).toMatchObject({ status: 'mismatch', source: { count: DOCS }, target: { count: DOCS } });
  }, 600_000);

  test('sampleSize "all": the rare fields become typed columns instead of _extra', async () => {
    const source = `rare_all_${uniqueSuffix()}`;
    const table = `rare_all_${uniqueSuffix()}`;
    drop.collection(source);
    drop.pgTable(table);
    await seed(
      source,
      Array.from({ length: 1_000 }, (_, k) => plainDoc(k + RARE - 500)),
    );
    const { report } = await run('rare-all', { source: mongoSource(source, { sampleSize: 'all' }), target: pgEndpoint(table) });
    expect(report).toMatchObject({ status: 'completed', rows: 1_000 });
    expect(report.validation).toMatchObject({ status: 'match' });
    const cols = await pgQuery<{ c: string; t: string }>(
      'SELECT column_name AS c, data_type AS t FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
      [PG_SCHEMA, table],
    );
    expect(Object.fromEntries(cols.map((r) => [r.c, r.t]))).toMatchObject({ rareNote: 'text', rareMeta: 'jsonb', _extra: 'jsonb' });
    const [rare] = await pgQuery<Record<string, unknown>>(`SELECT "rareNote", _extra FROM ${PG_SCHEMA}.${table} WHERE _id = $1`, [RARE]);
    expect(rare).toEqual({ rareNote: 'only here', _extra: null });
  }, 600_000);

  test('a MongoDB source keyed on two fields (key: [tenant, seq]) → PostgreSQL PRIMARY KEY (tenant, seq), resumed by key tuple', async () => {
    const source = `tenants_${uniqueSuffix()}`;
    const table = `tenants_${uniqueSuffix()}`;
    drop.collection(source);
    drop.pgTable(table);
    const N = 2_000;
    // Inserted out of key order; seq repeats across tenants, so neither field alone is unique.
    const docs = Array.from({ length: N }, (_, k) => ({ _id: new ObjectId(), tenant: `t${(k * 7) % 5}`, seq: new Int32(Math.floor(k / 5)), v: `v${k}` }));
    await seed(source, docs);
    const { report } = await run('composite-mongo2pg', {
      source: mongoSource(source, { key: ['tenant', 'seq'] }),
      target: pgEndpoint(table),
      // Two partitions on the leading field and a new chunk every 2 batches: reads resume by the keyset $or.
      batchSize: 150,
      partitions: 2,
      chunk: { maxBatches: 2, maxSeconds: 600 },
    });
    expect(report).toMatchObject({ status: 'completed', rows: N, quarantined: 0 });
    expect(report.validation).toMatchObject({ status: 'match', source: { count: N }, target: { count: N } });
    const pk = await pgQuery<{ c: string }>(
      `SELECT a.attname AS c FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`,
      [`${PG_SCHEMA}.${table}`],
    );
    expect(pk.map((r) => r.c)).toEqual(['tenant', 'seq']);
    const [dupes] = await pgQuery<{ n: string }>(`SELECT count(DISTINCT (tenant, seq)) AS n FROM ${PG_SCHEMA}.${table}`);
    expect(Number(dupes!.n)).toBe(N);
  }, 600_000);

  test('PostgreSQL PRIMARY KEY (tenant_id, order_id) → MongoDB (_id tuple document) → PostgreSQL, validated both ways', async () => {
    const src = `orders_${uniqueSuffix()}`;
    const collection = `orders_${uniqueSuffix()}`;
    const back = `orders_back_${uniqueSuffix()}`;
    drop.pgTable(src);
    drop.pgTable(back);
    drop.collection(collection);
    const N = 2_000;
    await pgQuery(
      `CREATE TABLE ${PG_SCHEMA}.${src} (tenant_id integer, order_id bigint, amount numeric(12,2) NOT NULL, note text, PRIMARY KEY (tenant_id, order_id))`,
    );
    await pgQuery(
      `INSERT INTO ${PG_SCHEMA}.${src} SELECT g % 4, 10000000000 + g / 4, g * 1.25, CASE WHEN g % 9 = 0 THEN NULL ELSE 'note ' || g END FROM generate_series(1, ${N}) g`,
    );
    const out = await run('composite-pg2mongo', {
      source: pgEndpoint(src),
      target: mongoTarget(collection),
      partitions: 2,
      batchSize: 400,
    });
    expect(out.report).toMatchObject({ status: 'completed', rows: N, quarantined: 0 });
    expect(out.report.validation).toMatchObject({ status: 'match', source: { count: N }, target: { count: N } });
    await withMongo(async (c) => {
      const doc = (await c
        .db(DB)
        .collection(collection)
        .findOne({ tenant_id: 1, order_id: Long.fromNumber(10_000_000_002) }, { promoteValues: false }))!;
      expect(Object.keys(doc._id)).toEqual(['tenant_id', 'order_id']);
      expect(doc._id).toEqual({ tenant_id: new Int32(1), order_id: Long.fromNumber(10_000_000_002) });
      expect(doc).toMatchObject({ tenant_id: new Int32(1), order_id: Long.fromNumber(10_000_000_002), amount: '11.25' });
      expect(doc).not.toHaveProperty('note'); // g = 9: a NULL note, left out
    });

    const home = await run('composite-mongo2pg-back', {
      // No `key`: describe() finds the composite key in the _id tuple documents the first leg wrote.
      source: mongoSource(collection),
      target: pgEndpoint(back),
      batchSize: 300,
      partitions: 2,
      chunk: { maxBatches: 2, maxSeconds: 600 },
    });
    expect(home.report).toMatchObject({ status: 'completed', rows: N, quarantined: 0, droppedFields: 0 });
    expect(home.report.validation).toMatchObject({ status: 'match', source: { count: N }, target: { count: N } });
    const cols = await pgQuery<{ c: string }>('SELECT column_name AS c FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2', [
      PG_SCHEMA,
      back,
    ]);
    // The _id tuple is where the key was stored: neither a column nor an unknown field (_extra stays empty).
    expect(cols.map((r) => r.c).sort()).toEqual(['_extra', 'amount', 'note', 'order_id', 'tenant_id']);
    const pk = await pgQuery<{ c: string }>(
      `SELECT a.attname AS c FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`,
      [`${PG_SCHEMA}.${back}`],
    );
    expect(pk.map((r) => r.c)).toEqual(['tenant_id', 'order_id']);
    const [diff] = await pgQuery<{ n: string }>(
      `SELECT count(*) AS n FROM (SELECT tenant_id, order_id, amount, note FROM ${PG_SCHEMA}.${src}
         EXCEPT SELECT tenant_id, order_id, amount::numeric, note FROM ${PG_SCHEMA}.${back} WHERE _extra IS NULL) d`,
    );
    expect(Number(diff!.n)).toBe(0);
  }, 600_000);
});
