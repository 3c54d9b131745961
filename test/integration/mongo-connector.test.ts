import { WorkflowFailedError } from '@temporalio/client';
import { Binary, Collection, Decimal128, Double, Int32, Long, ObjectId } from 'mongodb';
import { mongodb as mongodbConnector } from '../../src/connectors/mongodb';
import { MongoEndpointSchema, type MongoEndpoint } from '../../src/connectors/mongodb/spec';
import type { ConnectorSession } from '../../src/connectors/contract';
import type { ObjectSchema, Row } from '../../src/model/types';
import { logger } from '../../src/logging';
import type { NestedFieldSchema } from '../../src/model/nested';
import type { JobSpecInput } from '../../src/job/job-spec';
import type { MigrationReport } from '../../workflows/types';
import { TEST_DB as DB, parsed } from '../helpers/cross';
import { env, uniqueSuffix } from '../helpers/env';
import { realMongoUrl, seedPeople, withMongo } from '../helpers/mongo';
import { pgQuery } from '../helpers/pg';
import { startHarness, type TemporalHarness } from '../helpers/temporal';

const mongo = (collection: string, extra: Partial<MongoEndpoint> = {}) => ({
  type: 'mongodb' as const,
  connection: { url: { env: 'MONGO_URL' } },
  database: DB,
  collection,
  ...extra,
});

async function openSession(collection: string, extra: Record<string, unknown> = {}, url = env.mongoUrl): Promise<ConnectorSession> {
  const endpoint = MongoEndpointSchema.parse({ ...mongo(collection), ...extra });
  return mongodbConnector.open(endpoint, { url }, logger.child({ test: 'mongo-connector' }));
}

async function failureOf(p: Promise<unknown>): Promise<{ type: string | undefined; message: string }> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause as { type?: string; message: string };
  return { type: cause.type, message: cause.message };
}

describe('MongoDB connector against FerretDB', () => {
  let h: TemporalHarness;
  const people = `people_${uniqueSuffix()}`;
  const run = (spec: JobSpecInput): Promise<MigrationReport> =>
    h.client.workflow.execute('migrationWorkflow', { taskQueue: h.taskQueue, workflowId: `${spec.name}-${uniqueSuffix()}`, args: [{ spec: parsed(spec) }] });

  beforeAll(async () => {
    if (!realMongoUrl)
      console.warn(
        'SKIPPED below: Decimal128 round trip, $sample partitions and keys with "." need a real mongod; FerretDB lacks them and no ' +
          'mongod is obtainable here. Set MONGO_REAL_URL (e.g. the mongo service of docker-compose) to run them.',
      );
    h = await startHarness('mongo-conn');
    await seedPeople(DB, people, 400);
  }, 120_000);
  afterAll(async () => h?.stop());

  test('describe() infers the documented types from sampled documents, nested shapes included', async () => {
    const s = await openSession(people, { sampleSize: 100 });
    try {
      const schema = (await s.describe())!;
      const types = Object.fromEntries(schema.fields.map((f) => [f.name, f.type]));
      expect(types).toEqual({
        _id: 'objectid',
        name: 'string',
        age: 'int32',
        score: 'float64',
        balance: 'int64',
        createdAt: 'timestamptz',
        active: 'boolean',
        tags: 'json',
        avatar: 'bytes',
        meta: 'json',
        address: 'json',
      });
      expect(schema.key).toEqual(['_id']);
      const address = schema.fields.find((f) => f.name === 'address') as NestedFieldSchema;
      expect(address.nullable).toBe(true); // missing from every 13th document
      expect(address.fields!.map((f) => `${f.name}:${f.type}`)).toEqual(['city:string', 'zip:int32', 'geo:json']);
      expect(address.fields![2]!.fields!.map((f) => `${f.name}:${f.type}`)).toEqual(['lat:float64', 'lng:float64']);
      expect(await openSession(`missing_${uniqueSuffix()}`).then((m) => m.describe().finally(() => m.close()))).toBeNull();
    } finally {
      await s.close();
    }
  });

  test('a read resumes exactly after the cursor of its last batch', async () => {
    const s = await openSession(people);
    try {
      const schema = (await s.describe())!;
      const [range] = await s.planPartitions(schema, 1);
      const seen: Row[] = [];
      let cursor = null;
      for await (const b of s.read(schema, range!, null, 50)) {
        seen.push(...b.rows);
        cursor = b.cursor;
        if (seen.length >= 100) break;
      }
      expect(typeof cursor).toBe('string');
      for await (const b of s.read(schema, range!, cursor, 50)) seen.push(...b.rows);
      const ids = seen.map((r) => r._id as string);
      expect(ids).toHaveLength(400);
      expect(new Set(ids).size).toBe(400);
      expect([...ids].sort()).toEqual(ids); // key order across the resume
    } finally {
      await s.close();
    }
  });

  test('filter selects what moves; MongoDB → MongoDB restores BSON types; a second upsert run changes nothing', async () => {
    const target = `active_${uniqueSuffix()}`;
    const active = await withMongo((m) => m.db(DB).collection(people).countDocuments({ active: true }));
    const spec: JobSpecInput = {
      name: `m2m-${target}`,
      source: mongo(people, { filter: { active: true, createdAt: { $gte: { $date: '2019-01-01T00:00:00Z' } } } }),
      target: mongo(target, { writeMode: 'upsert' }),
      batchSize: 100,
      partitions: 1,
    };
    for (const attempt of [1, 2]) {
      const report = await run({ ...spec, name: `${spec.name}-${attempt}` });
      expect(report.rows).toBe(active);
      expect(report.validation).toMatchObject({ status: 'match', source: { count: active }, target: { count: active } });
    }
    await withMongo(async (m) => {
      const coll = m.db(DB).collection(target);
      expect(await coll.countDocuments()).toBe(active);
      const doc = (await coll.findOne({ address: { $exists: true } }, { promoteValues: false }))!;
      expect(doc._id).toBeInstanceOf(ObjectId);
      expect(doc.age).toBeInstanceOf(Int32);
      expect(doc.score).toBeInstanceOf(Double);
      expect(doc.balance).toBeInstanceOf(Long);
      expect(doc.createdAt).toBeInstanceOf(Date);
      expect(doc.avatar === undefined || doc.avatar instanceof Binary).toBe(true);
      // Nested leaves come back typed through the described shape, not as JSON text.
      expect(doc.meta.updatedAt).toBeInstanceOf(Date);
      expect(doc.meta.createdBy).toBeInstanceOf(ObjectId);
      expect(doc.address.geo.lat).toBeInstanceOf(Double);
    });
  }, 300_000);

  test('documents the server refuses become rejected records: quarantined into _datamigrato_dead_letters, the rest written', async () => {
    const src = `odd_keys_${uniqueSuffix()}`;
    const target = `odd_keys_${uniqueSuffix()}`;
    await pgQuery(`CREATE SCHEMA IF NOT EXISTS dm_test`);
    await pgQuery(`CREATE TABLE dm_test.${src} (id bigint PRIMARY KEY, doc jsonb)`);
    // FerretDB refuses keys containing "." (and nested arrays): 5 of 200 rows.
    await pgQuery(
      `INSERT INTO dm_test.${src} SELECT g, CASE WHEN g % 40 = 0 THEN jsonb_build_object('a.b', g) ELSE jsonb_build_object('a', g) END FROM generate_series(1, 200) g`,
    );
    const spec: JobSpecInput = {
      name: `odd-${target}`,
      source: { type: 'postgres', connection: { url: { env: 'PG_URL' } }, schema: 'dm_test', table: src },
      target: mongo(target, { writeMode: 'insert' }),
      batchSize: 50,
      onRecordError: 'quarantine',
    };
    const report = await run(spec);
    expect(report.rows).toBe(195);
    expect(report.quarantined).toBe(5);
    // Validation compares what the source holds with what arrived: the quarantined records are the difference.
    expect(report.validation).toMatchObject({ status: 'mismatch', source: { count: 200 }, target: { count: 195 } });
    await withMongo(async (m) => {
      const dead = await m.db(DB).collection('_datamigrato_dead_letters').find({ job: spec.name }).toArray();
      expect(dead.map((d) => d.key).sort()).toEqual(['120', '160', '200', '40', '80']);
      expect(dead[0]).toMatchObject({ stage: 'write', target: `${DB}.${target}`, error: expect.stringMatching(/\./) });
      expect(JSON.parse(dead[0]!.record)).toMatchObject({ doc: expect.any(Object) });
    });
    const failing = await failureOf(run({ ...spec, name: `odd-fail-${target}`, target: mongo(`${target}_2`, { writeMode: 'insert' }), onRecordError: 'fail' }));
    expect(failing.type).toBe('RecordError');
  }, 300_000);

  test('Decimal128 is refused up front on FerretDB, with the fix in the message; decimalAs: string works', async () => {
    const src = `amounts_${uniqueSuffix()}`;
    await pgQuery(`CREATE TABLE dm_test.${src} (id bigint PRIMARY KEY, amount numeric(12,4))`);
    await pgQuery(`INSERT INTO dm_test.${src} SELECT g, g * 1.5 FROM generate_series(1, 100) g`);
    const spec: JobSpecInput = {
      name: `dec-${src}`,
      source: { type: 'postgres', connection: { url: { env: 'PG_URL' } }, schema: 'dm_test', table: src },
      target: mongo(src),
    };
    const f = await failureOf(run(spec));
    expect(f.type).toBe('ConfigError');
    expect(f.message).toMatch(/FerretDB, which has no Decimal128: set decimalAs/);
    const ok = await run({ ...spec, name: `dec-ok-${src}`, target: mongo(src, { decimalAs: 'string', writeMode: 'insert' }) });
    expect(ok.validation).toMatchObject({ status: 'match', source: { count: 100 } });
  }, 120_000);

  test('passthrough between two MongoDB endpoints is refused at planning (no raw path), before the target exists', async () => {
    const target = `pt_${uniqueSuffix()}`;
    const f = await failureOf(run({ name: `pt-${target}`, source: mongo(people), target: mongo(target), passthrough: true }));
    expect(f.type).toBe('ConfigError');
    expect(f.message).toMatch(/passthrough: mongodb → mongodb has no raw copy path/);
    const exists = await withMongo((m) => m.db(DB).listCollections({ name: target }).toArray());
    expect(exists).toHaveLength(0);
  }, 120_000);

  test('a key holding two types is refused, by describe() or, when the sample missed one, at planning', async () => {
    const mixed = `mixed_ids_${uniqueSuffix()}`;
    await withMongo(async (m) => {
      await m
        .db(DB)
        .collection(mixed)
        .insertMany([
          { _id: new ObjectId(), a: 1 },
          { _id: new ObjectId(), a: 3 },
          { _id: 'text-id' as unknown as ObjectId, a: 2 },
        ]);
    });
    const spec = (sampleSize: number): JobSpecInput => ({
      name: `mixed-${mixed}-${sampleSize}`,
      source: mongo(mixed, { sampleSize }),
      target: mongo(`${mixed}_t`, { writeMode: 'insert' }),
    });
    const seen = await failureOf(run(spec(1000)));
    expect(seen.type).toBe('SchemaError');
    expect(seen.message).toMatch(/key field "_id" of dm_test\.mixed_ids_\w+ holds objectId\|string values/);
    const missed = await failureOf(run(spec(2)));
    expect(missed.type).toBe('SchemaError');
    expect(missed.message).toMatch(/_id in dm_test\.mixed_ids_\w+ is not always objectid \(also string\)/);
    // One partition plans from a $group by the key's $type on FerretDB: the same refusal, and the count.
    const s = await openSession(mixed, { sampleSize: 2 });
    try {
      const schema = (await s.describe())!;
      await expect(s.planPartitions(schema, 1)).rejects.toThrow(/is not always objectid \(also string\)/);
      await withMongo((m) =>
        m
          .db(DB)
          .collection(mixed)
          .deleteOne({ _id: 'text-id' as unknown as ObjectId }),
      );
      expect(await s.planPartitions(schema, 1)).toEqual([{ id: 0, lower: null, upper: null, estimatedRows: 2 }]);
    } finally {
      await s.close();
    }
  }, 120_000);

  test('writeMode auto (default) inserts while documents are new and upserts once a batch met an existing one', async () => {
    const coll = `auto_${uniqueSuffix()}`;
    const schema: ObjectSchema = {
      object: coll,
      key: ['_id'],
      fields: [
        { name: '_id', type: 'int64', nullable: false },
        { name: 'v', type: 'string', nullable: true },
      ],
    };
    const rows = (from: number, to: number, v: string): Row[] => Array.from({ length: to - from }, (_, i) => ({ _id: BigInt(from + i), v }));
    const inserts = jest.spyOn(Collection.prototype, 'insertMany');
    const bulkWrite = jest.spyOn(Collection.prototype, 'bulkWrite');
    // The driver's insertMany goes through bulkWrite too: count only the replaceOne batches.
    const upserts = () => bulkWrite.mock.calls.map((c) => c[0] as Array<{ replaceOne?: unknown }>).filter((ops) => ops.some((op) => op.replaceOne));
    const s = await openSession(coll);
    try {
      await s.prepare(schema);
      expect(await s.write(schema, rows(0, 50, 'a'))).toEqual({ written: 50, rejected: [] });
      expect([inserts.mock.calls.length, upserts().length]).toEqual([1, 0]);
      // Half of this batch exists already (a batch re-read after a crash): inserted, then only the 25 replaced.
      expect(await s.write(schema, rows(25, 75, 'b'))).toEqual({ written: 50, rejected: [] });
      expect([inserts.mock.calls.length, upserts().length]).toEqual([2, 1]);
      expect(upserts()[0]).toHaveLength(25);
      // From then on this session upserts straight away.
      expect(await s.write(schema, rows(70, 100, 'c'))).toEqual({ written: 30, rejected: [] });
      expect([inserts.mock.calls.length, upserts().length]).toEqual([2, 2]);
    } finally {
      inserts.mockRestore();
      bulkWrite.mockRestore();
      await s.close();
    }
    await withMongo(async (m) => {
      const docs = await m.db(DB).collection(coll).find({}).sort({ _id: 1 }).toArray();
      expect(docs).toHaveLength(100);
      expect(docs.map((d) => d.v).join('')).toBe('a'.repeat(25) + 'b'.repeat(45) + 'c'.repeat(30));
    });
  });

  describe('against a real mongod (MONGO_REAL_URL)', () => {
    const realTest = realMongoUrl ? test : test.skip;

    realTest('Decimal128, $sample-based partitions and dotted keys', async () => {
      const coll = `real_${uniqueSuffix()}`;
      await withMongo(async (m) => {
        await m
          .db(DB)
          .collection(coll)
          .insertMany(Array.from({ length: 5_000 }, (_, i) => ({ _id: new ObjectId(), amount: Decimal128.fromString(`${i}.0100`), 'a.b': i })));
      }, realMongoUrl);
      const s = await openSession(coll, {}, realMongoUrl);
      try {
        const schema = (await s.describe())!;
        expect(schema.fields.find((f) => f.name === 'amount')!.type).toBe('decimal');
        const ranges = await s.planPartitions(schema, 4);
        expect(ranges).toHaveLength(4);
        let n = 0;
        for (const r of ranges) for await (const b of s.read(schema, r, null, 1_000)) n += b.rows.length;
        expect(n).toBe(5_000);
        const out = await s.write(schema, [{ _id: new ObjectId().toHexString(), amount: '1.2300', 'a.b': 1 }]);
        expect(out.rejected).toEqual([]);
      } finally {
        await s.close();
      }
    });
  });
});
