import type { Document } from 'mongodb';
import type { JobSpecInput } from '../../src/job/job-spec';
import { dryRunCheck } from '../../client/dry-run';
import { uniqueSuffix } from '../helpers/env';
import { withMongo } from '../helpers/mongo';
import { ensureSchema, pgQuery } from '../helpers/pg';
import { startHarness, historyJson, type TemporalHarness } from '../helpers/temporal';
import { parsed, runMigration } from '../helpers/cross';
import type { MigrationReport } from '../../workflows/types';

/**
 * The transforms of issue 13 on real servers: masking PostgreSQL → MongoDB (FerretDB), compute and filter
 * PostgreSQL → PostgreSQL, each validated by the run's own count + checksum and checked natively.
 * Sizes: MASK_ROWS customers (3 orders each), FILTER_ROWS rows for the filter (run once at 1M for the note).
 */
// MASK_ROWS: 300 verified here (1,200 documents scanned); FerretDB hung during a 2,000 run (shared stack), see the note.
const MASK_ROWS = Number(process.env.MASK_ROWS ?? 300);
const COMPUTE_ROWS = Number(process.env.COMPUTE_ROWS ?? 20_000);
const FILTER_ROWS = Number(process.env.FILTER_ROWS ?? 100_000);
const SCHEMA = 'wt_transforms';
const MONGO_DB = 'wt_transforms';
const MASK_KEY_VAR = 'WT_TRANSFORMS_MASK_KEY';
const MASK_KEY = `mask-key-${uniqueSuffix()}-never-in-history`;

const pg = (table: string) => ({ type: 'postgres' as const, connection: { url: { env: 'PG_URL' } }, schema: SCHEMA, table });
const mongo = (collection: string) => ({
  type: 'mongodb' as const,
  connection: { url: { env: 'MONGO_URL' } },
  database: MONGO_DB,
  collection,
  writeMode: 'insert' as const, // FerretDB: replaceOne scans the collection
  decimalAs: 'string' as const,
});
const big = { batchSize: 5_000, parallelism: 2, chunk: { maxBatches: 10_000, maxSeconds: 600 } };

describe('transforms on real servers', () => {
  let h: TemporalHarness;
  const collections: string[] = [];
  beforeAll(async () => {
    process.env[MASK_KEY_VAR] = MASK_KEY;
    await ensureSchema(SCHEMA);
    h = await startHarness('transforms');
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
    await withMongo(async (m) => {
      for (const c of collections)
        await m
          .db(MONGO_DB)
          .collection(c)
          .drop()
          .catch(() => undefined);
    });
  }, 120_000);

  test(`mask PostgreSQL → MongoDB (${MASK_ROWS} customers, ${MASK_ROWS * 3} orders): deterministic, no original left, the join on the masked key holds`, async () => {
    await pgQuery(`DROP TABLE IF EXISTS ${SCHEMA}.customers, ${SCHEMA}.orders`);
    await pgQuery(`CREATE TABLE ${SCHEMA}.customers (id bigint PRIMARY KEY, name text, email text, phone text, national_id text)`);
    await pgQuery(`CREATE TABLE ${SCHEMA}.orders (id bigint PRIMARY KEY, customer_id bigint, amount numeric(10,2))`);
    await pgQuery(
      `INSERT INTO ${SCHEMA}.customers SELECT i, 'Client ' || i, 'user' || i || '.x@Shop-' || (i % 7) || '.example', ` +
        `'+33 6 ' || lpad((i % 100)::text, 2, '0') || ' ' || lpad((i * 7 % 100)::text, 2, '0') || ' ' || lpad((i * 13 % 10000)::text, 4, '0'), ` +
        `CASE WHEN i % 50 = 0 THEN NULL ELSE 'NID-' || lpad((i * 7919)::text, 12, '0') END FROM generate_series(1, $1) i`,
      [MASK_ROWS],
    );
    await pgQuery(`INSERT INTO ${SCHEMA}.orders SELECT i, (i % $1) + 1, (i % 1000) / 10.0 FROM generate_series(1, $1 * 3) i`, [MASK_ROWS]);

    const key = { env: MASK_KEY_VAR };
    const maskCustomers = { op: 'mask', key, allowKey: true, fields: { id: 'hex', email: 'email', phone: 'digits', national_id: { as: 'hex', length: 24 } } };
    const maskOrders = { op: 'mask', key, fields: { customer_id: 'hex' } };
    const suffix = uniqueSuffix();
    const runs: { customers: string; orders: string; historyHasKey: boolean }[] = [];
    for (const n of [1, 2]) {
      const customers = `customers_${n}_${suffix}`;
      const orders = `orders_${n}_${suffix}`;
      collections.push(customers, orders);
      const c = await runWithHistory(h, {
        name: `mask-c-${n}`,
        source: pg('customers'),
        target: mongo(customers),
        partitions: 1,
        ...big,
        transform: [maskCustomers],
      } as JobSpecInput);
      const o = await runWithHistory(h, {
        name: `mask-o-${n}`,
        source: pg('orders'),
        target: mongo(orders),
        partitions: 1,
        ...big,
        transform: [maskOrders],
      } as JobSpecInput);
      for (const [{ report: r }, rows] of [
        [c, MASK_ROWS],
        [o, MASK_ROWS * 3],
      ] as const) {
        expect(r).toMatchObject({ status: 'completed', rows, quarantined: 0, filtered: 0 });
        expect(r.validation).toMatchObject({ status: 'match', source: { count: rows }, target: { count: rows } });
      }
      runs.push({ customers, orders, historyHasKey: [c, o].some((x) => x.history.includes(MASK_KEY)) });
    }
    expect(runs.map((r) => r.historyHasKey)).toEqual([false, false]);

    const originals = await pgQuery<{ email: string; phone: string; national_id: string | null }>(`SELECT email, phone, national_id FROM ${SCHEMA}.customers`);
    const secretsOf = new Set(
      originals.flatMap((o) => [o.email, o.email.split('@')[0]!, o.phone, o.phone.replace(/\D/g, ''), ...(o.national_id ? [o.national_id] : [])]),
    );
    await withMongo(async (m) => {
      const db = m.db(MONGO_DB);
      const sorted = async (c: string) => (await db.collection(c).find({}).toArray()).map(plain).sort((a, b) => (String(a._id) < String(b._id) ? -1 : 1));
      const [c1, c2, o1, o2] = await Promise.all([sorted(runs[0]!.customers), sorted(runs[1]!.customers), sorted(runs[0]!.orders), sorted(runs[1]!.orders)]);
      // Same input, same output: two runs give identical documents.
      expect(c2).toEqual(c1);
      expect(o2).toEqual(o1);
      // Scan every document, every field: no original e-mail, local part, phone or national id anywhere.
      let leaks = 0;
      for (const doc of [...c1, ...o1]) {
        const text = JSON.stringify(doc);
        for (const v of Object.values(doc)) if (typeof v === 'string' && secretsOf.has(v)) leaks++;
        for (const s of secretsOf) if (s.length >= 8 && text.includes(s)) leaks++;
      }
      console.log(JSON.stringify({ scannedDocuments: c1.length + o1.length, originalsChecked: secretsOf.size, leaks }));
      expect(leaks).toBe(0);
      expect(c1[0]).toMatchObject({
        _id: expect.stringMatching(/^[0-9a-f]{64}$/),
        email: expect.stringMatching(/^[0-9a-f]{16}@shop-\d\.example$/),
        phone: expect.stringMatching(/^\+\d\d \d \d\d \d\d \d{4}$/),
      });
      // The join on the masked foreign key: every order finds its customer, with the source's per-customer counts.
      const ids = new Set(c1.map((d) => d._id));
      expect(o1.filter((o) => !ids.has(o.customer_id as string))).toEqual([]);
      const perCustomer = new Map<string, number>();
      for (const o of o1) perCustomer.set(o.customer_id as string, (perCustomer.get(o.customer_id as string) ?? 0) + 1);
      const expected = await pgQuery<{ n: string; customers: string }>(
        `SELECT n, count(*) AS customers FROM (SELECT count(o.id) AS n FROM ${SCHEMA}.customers c JOIN ${SCHEMA}.orders o ON o.customer_id = c.id GROUP BY c.id) t GROUP BY n`,
      );
      const got = new Map<number, number>();
      for (const n of perCustomer.values()) got.set(n, (got.get(n) ?? 0) + 1);
      expect(Object.fromEntries(got)).toEqual(Object.fromEntries(expected.map((e) => [Number(e.n), Number(e.customers)])));
    });
  }, 600_000);

  test(`compute PostgreSQL → PostgreSQL (${COMPUTE_ROWS} rows): full name, zoned age, exact price with tax — checked by PostgreSQL; check shows the schema and a sample`, async () => {
    await pgQuery(`DROP TABLE IF EXISTS ${SCHEMA}.people, ${SCHEMA}.people_out`);
    await pgQuery(
      `CREATE TABLE ${SCHEMA}.people (id bigint PRIMARY KEY, first_name text NOT NULL, last_name text, birth_date date, price numeric(12,2) NOT NULL)`,
    );
    await pgQuery(
      `INSERT INTO ${SCHEMA}.people SELECT i, 'Prénom' || i, CASE WHEN i % 10 = 0 THEN NULL ELSE 'Nom-' || i END, ` +
        // every day of the year, so birthdays fall on both sides of the zoned "today"
        `date '1950-01-01' + (i * 37 % 25000), (i % 100000) / 100.0 + 0.01 FROM generate_series(1, $1) i`,
      [COMPUTE_ROWS],
    );
    const spec = {
      name: 'compute-people',
      source: pg('people'),
      target: pg('people_out'),
      ...big,
      transform: [
        {
          op: 'compute',
          fields: {
            full_name: 'first_name + (last_name == null ? "" : " " + last_name)',
            // 03:00 UTC on 1 Dec 2026 is 30 Nov in New York: people born on 1 Dec are a year younger there.
            age: { expression: 'age(birth_date, timestamp("2026-12-01T03:00:00Z"), "America/New_York")', type: 'int32' },
            price_with_tax: 'round(price * decimal("1.196"), 2)',
            tax: 'price * decimal("0.196")',
          },
        },
      ],
    } as JobSpecInput;
    const check = await dryRunCheck(spec, { sampleSize: 3 });
    expect(check.targetSchema.fields.map((f) => [f.name, f.type])).toEqual(
      expect.arrayContaining([
        ['full_name', 'string'],
        ['age', 'int32'],
        ['price_with_tax', 'decimal'],
        ['tax', 'decimal'],
      ]),
    );
    expect(check.sample[0]).toMatchObject({ id: '1', full_name: 'Prénom1 Nom-1', price_with_tax: expect.any(String) });

    const report = await runMigration(h, 'compute', spec);
    expect(report).toMatchObject({ status: 'completed', rows: COMPUTE_ROWS, quarantined: 0 });
    expect(report.validation).toMatchObject({ status: 'match' });
    const wrong = await pgQuery<{ name: string; age: string; price: string; tax: string }>(`
      SELECT count(*) FILTER (WHERE o.full_name IS DISTINCT FROM concat_ws(' ', p.first_name, p.last_name)) AS name,
             count(*) FILTER (WHERE o.age IS DISTINCT FROM extract(year FROM age(date '2026-11-30', p.birth_date))::int) AS age,
             count(*) FILTER (WHERE o.price_with_tax::numeric IS DISTINCT FROM round(p.price * 1.196, 2)) AS price,
             count(*) FILTER (WHERE o.tax::numeric IS DISTINCT FROM p.price * 0.196) AS tax
      FROM ${SCHEMA}.people p JOIN ${SCHEMA}.people_out o USING (id)`);
    expect(wrong[0]).toEqual({ name: '0', age: '0', price: '0', tax: '0' });
    const [born1Dec] = await pgQuery<{ ny: number; utc: number }>(
      `SELECT o.age AS ny, extract(year FROM age(date '2026-12-01', p.birth_date))::int AS utc FROM ${SCHEMA}.people p JOIN ${SCHEMA}.people_out o USING (id)
       WHERE extract(month FROM p.birth_date) = 12 AND extract(day FROM p.birth_date) = 1 LIMIT 1`,
    );
    expect(born1Dec!.utc - born1Dec!.ny).toBe(1);
  }, 600_000);

  test(`filter PostgreSQL → PostgreSQL keeping 30 % of ${FILTER_ROWS} rows: counted as filtered, validation matches`, async () => {
    await pgQuery(`DROP TABLE IF EXISTS ${SCHEMA}.events, ${SCHEMA}.events_kept`);
    await pgQuery(`CREATE TABLE ${SCHEMA}.events (id bigint PRIMARY KEY, kind text, amount numeric(10,2), at timestamptz)`);
    await pgQuery(
      `INSERT INTO ${SCHEMA}.events SELECT i, (ARRAY['click','view','buy'])[1 + i % 3], (i % 10000) / 100.0, timestamptz '2024-01-01' + i * interval '1 second' FROM generate_series(1, $1) i`,
      [FILTER_ROWS],
    );
    const report = await runMigration(h, 'filter', {
      name: 'filter-events',
      source: pg('events'),
      target: pg('events_kept'),
      ...big,
      parallelism: 2,
      transform: [{ op: 'filter', expression: 'id % 10 < 3' }],
    } as JobSpecInput);
    const kept = Math.floor(FILTER_ROWS / 10) * 3 + Math.min(FILTER_ROWS % 10, 2);
    console.log(JSON.stringify({ rows: report.rows, filtered: report.filtered, validation: report.validation }));
    expect(report).toMatchObject({ status: 'completed', rows: kept, filtered: FILTER_ROWS - kept, quarantined: 0 });
    expect(report.validation).toMatchObject({ status: 'match', source: { count: kept }, target: { count: kept }, mismatchedBuckets: [] });
    const [n] = await pgQuery<{ n: string; bad: string }>(`SELECT count(*) AS n, count(*) FILTER (WHERE id % 10 >= 3) AS bad FROM ${SCHEMA}.events_kept`);
    expect(n).toEqual({ n: String(kept), bad: '0' });
  }, 900_000);
});

/** A document as plain JSON-comparable values (ObjectIds, Decimal128, Longs as text). */
function plain(doc: Document): Record<string, unknown> {
  return JSON.parse(JSON.stringify(doc, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))) as Record<string, unknown>;
}

/** One migration with a known workflow id, so its history can be scanned for the mask key. */
async function runWithHistory(h: TemporalHarness, spec: JobSpecInput): Promise<{ report: MigrationReport; history: string }> {
  const workflowId = `${spec.name}-${uniqueSuffix()}`;
  const t0 = Date.now();
  const report: MigrationReport = await h.client.workflow.execute('migrationWorkflow', { taskQueue: h.taskQueue, workflowId, args: [{ spec: parsed(spec) }] });
  console.log(JSON.stringify({ job: spec.name, rows: report.rows, ms: Date.now() - t0, validation: report.validation?.status }));
  return { report, history: await historyJson(h.client.workflow.getHandle(workflowId)) };
}
