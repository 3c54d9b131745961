import type { MigrationReport } from '../../workflows/types';
import { withCassandra } from '../helpers/cassandra';
import { TEST_DB as DB, TEST_KEYSPACE as KS, cleanup, mongoToCassandra, parsed } from '../helpers/cross';
import { uniqueSuffix } from '../helpers/env';
import { mongoIds, seedPeople, withMongo } from '../helpers/mongo';
import { startHarness, type TemporalHarness } from '../helpers/temporal';

// CI size (the acceptance ran MONGO_CASSANDRA_DOCS=100000): enough for many partitions and batches per side.
const DOCS = Number(process.env.MONGO_CASSANDRA_DOCS ?? 40_000);

describe('MongoDB → Cassandra with flatten on the real dev server', () => {
  let h: TemporalHarness;
  const collection = `people_${uniqueSuffix()}`;
  const drop = cleanup();

  beforeAll(async () => {
    h = await startHarness('mongo2cass');
    drop.collection(collection);
    await seedPeople(DB, collection, DOCS);
  }, 180_000);
  afterAll(async () => {
    await h?.stop();
    await drop.run();
  }, 120_000);

  test(`${DOCS} documents with nested objects: every row present, types as documented, counts and checksums equal`, async () => {
    const table = `people_${uniqueSuffix()}`;
    drop.table(table);
    const t0 = Date.now();
    const report: MigrationReport = await h.client.workflow.execute('migrationWorkflow', {
      taskQueue: h.taskQueue,
      workflowId: `mongo2cass-${table}`,
      args: [{ spec: parsed(mongoToCassandra(`mongo2cass-${table}`, collection, table)) }],
    });
    console.log(JSON.stringify({ docs: DOCS, ms: Date.now() - t0, rowsPerSecond: report.rowsPerSecond, timings: report.timings }));

    expect(report.status).toBe('completed');
    expect(report.rows).toBe(DOCS);
    expect(report.quarantined).toBe(0);
    expect(report.validation).toMatchObject({ status: 'match', source: { count: DOCS }, target: { count: DOCS }, mismatchedBuckets: [] });
    expect(report.copyDigest).toEqual(report.validation && 'source' in report.validation ? report.validation.source : null);

    await withCassandra(async (c) => {
      // Types as documented: nested leaves became typed columns, the rest of the json became text.
      const cols = await c.execute('SELECT column_name, type, kind FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?', [KS, table]);
      expect(Object.fromEntries(cols.rows.map((r) => [r.column_name, r.type]))).toEqual({
        id: 'text',
        name: 'text',
        age: 'int',
        score: 'double',
        balance: 'bigint',
        createdAt: 'timestamp',
        active: 'boolean',
        tags: 'text',
        avatar: 'blob',
        meta_createdBy: 'text',
        meta_version: 'int',
        meta_updatedAt: 'timestamp',
        meta_flags_vip: 'boolean',
        address_city: 'text',
        address_zip: 'int',
        address_geo_lat: 'double',
        address_geo_lng: 'double',
        _extra: 'text', // onUnknownField json (default): fields outside the sample, as JSON text
      });
      expect(cols.rows.find((r) => r.column_name === 'id')!.kind).toBe('partition_key');

      // Every row present, independently of our checksums: the id sets are equal.
      const ids = new Set<string>();
      let pageState: string | undefined;
      do {
        const page = await c.execute(`SELECT id FROM ${KS}.${table}`, [], { fetchSize: 20_000, pageState });
        page.rows.forEach((r) => ids.add(r.id));
        pageState = page.pageState ?? undefined;
      } while (pageState);
      expect(ids.size).toBe(DOCS);
      const source = await mongoIds(DB, collection);
      expect([...source].filter((id) => !ids.has(id))).toEqual([]);

      // Spot checks against the source documents: values, not just digests.
      const sample = await withMongo((m) => m.db(DB).collection(collection).find({}, { useBigInt64: true }).limit(30).toArray());
      for (const doc of sample) {
        const row = (await c.execute(`SELECT * FROM ${KS}.${table} WHERE id = ?`, [doc._id.toHexString()], { prepare: true })).rows[0]!;
        expect(row.name).toBe(doc.name);
        expect(row.balance).toBe(doc.balance);
        expect((row.createdAt as Date).toISOString()).toBe((doc.createdAt as Date).toISOString());
        expect(JSON.parse(row.tags)).toEqual(doc.tags);
        expect(row.avatar === null ? null : Buffer.from(row.avatar).toString('hex')).toBe(
          doc.avatar === null ? null : Buffer.from(doc.avatar.buffer).toString('hex'),
        );
        expect(row.meta_createdBy).toBe(doc.meta.createdBy.toHexString());
        expect(row.meta_flags_vip).toBe(doc.meta.flags.vip);
        expect(row.address_city).toBe(doc.address?.city ?? null);
        expect(row.address_geo_lat).toBe(doc.address?.geo.lat ?? null);
      }
    });
  }, 600_000);
});
