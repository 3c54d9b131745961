import { GeoPoint, Timestamp } from 'firebase-admin/firestore';
import type { MigrationReport } from '../../workflows/types';
import { cleanup, parsed } from '../helpers/cross';
import { uniqueSuffix } from '../helpers/env';
import { dropCollection, firestoreConnectionSpec, firestoreUnavailable, withFirestore } from '../helpers/firestore';
import { countRows, ensureSchema, pgQuery } from '../helpers/pg';
import { startHarness, waitFor } from '../helpers/temporal';
import { spawnWorker, type WorkerProcess } from '../helpers/worker-process';

const SCHEMA = 'dm_test';
const PARENTS = Number(process.env.FIRESTORE_GROUP_PARENTS ?? 1_000);
const PER_PARENT = 20;
const DOCS = PARENTS * PER_PARENT;
const unavailable = firestoreUnavailable();
if (unavailable) console.warn(`SKIPPED firestore collection group → PostgreSQL kill test: ${unavailable}`);
const maybe = unavailable ? describe.skip : describe;

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** `wt-firestore` parents p0000…, each with PER_PARENT documents o00… in the group: ids repeat across parents. */
async function seedGroup(root: string, group: string): Promise<void> {
  await withFirestore(async (db) => {
    const w = db.bulkWriter({ throttling: false });
    for (let p = 0; p < PARENTS; p++)
      for (let o = 0; o < PER_PARENT; o++) {
        const i = p * PER_PARENT + o;
        void w.set(db.doc(`${root}/p${pad(p, 4)}/${group}/o${pad(o, 2)}`), {
          n: BigInt(i),
          big: 9007199254740993n + BigInt(i),
          amount: i + 0.25,
          placedAt: new Timestamp(1_700_000_000 + i, (i % 1000) * 1000),
          loc: new GeoPoint((i % 180) - 90, (i % 360) - 180),
          owner: db.doc(`${root}/p${pad(p, 4)}`),
          raw: Buffer.from([i % 256, 7]),
          tags: ['a', i % 3],
          meta: { parent: p, note: i % 11 === 0 ? null : `note ${i} ✓` },
        });
      }
    await w.close();
  });
}

maybe('kill -9 of the worker mid Firestore collection group → PostgreSQL', () => {
  const suffix = uniqueSuffix();
  const root = `wt_firestore_parents_${suffix}`;
  const group = `wt_firestore_orders_${suffix}`;
  const table = `wt_firestore_group_${suffix}`;
  const drop = cleanup();
  beforeAll(async () => {
    await ensureSchema(SCHEMA);
    drop.pgTable(table);
    const t0 = Date.now();
    await seedGroup(root, group);
    console.log(JSON.stringify({ seeded: DOCS, parents: PARENTS, ms: Date.now() - t0 }));
  }, 300_000);
  afterAll(async () => {
    await drop.run();
    await dropCollection(root).catch(() => undefined);
  }, 300_000);

  test(`${DOCS} documents across ${PARENTS} parents: resumes from the document-path cursor, every path once, validated`, async () => {
    const taskQueue = `fs-kill-${uniqueSuffix()}`;
    const h = await startHarness('fs-kill-client');
    const first = await spawnWorker(taskQueue);
    let second: WorkerProcess | undefined;
    try {
      const spec = parsed({
        name: `fs-kill-${suffix}`,
        source: { type: 'firestore', connection: firestoreConnectionSpec(), collectionGroup: group, keyField: 'path' },
        target: { type: 'postgres', connection: { url: { env: 'PG_URL' } }, schema: SCHEMA, table },
        batchSize: 300,
        parallelism: 2,
        partitions: 4,
        chunk: { maxBatches: 1_000, maxSeconds: 60 },
      });
      const handle = await h.client.workflow.start('migrationWorkflow', { taskQueue, workflowId: spec.name, args: [{ spec }] });
      const before = await waitFor(
        () => countRows(`${SCHEMA}.${table}`).catch(() => 0),
        (n) => n >= DOCS / 5,
        240_000,
        100,
      );
      expect(before).toBeGreaterThanOrEqual(DOCS / 5);
      await first.kill9();
      const atKill = await countRows(`${SCHEMA}.${table}`);
      expect(atKill).toBeLessThan(DOCS); // really mid-copy
      second = await spawnWorker(taskQueue);
      const report: MigrationReport = await handle.result();
      const resumes = report.partitions.reduce((n, p) => n + p.resumes, 0);
      console.log(
        JSON.stringify({
          docs: DOCS,
          rowsAtKill: atKill,
          resumes,
          partitions: report.partitions.length,
          rows: report.rows,
          rowsPerSecond: report.rowsPerSecond,
          validation: report.validation?.status,
        }),
      );

      expect(report.status).toBe('completed');
      expect(report.rows).toBe(DOCS);
      expect(resumes).toBeGreaterThanOrEqual(1);
      expect(report.partitions.length).toBeGreaterThan(1); // sampled document-path boundaries (no getPartitions in the emulator)
      expect(report.validation).toMatchObject({ status: 'match', source: { count: DOCS }, target: { count: DOCS } });

      // Independently of our checksums: exactly the seeded paths, each once.
      const paths = await pgQuery<{ path: string }>(`SELECT path FROM ${SCHEMA}.${table}`);
      expect(paths.length).toBe(DOCS);
      const want = new Set<string>();
      for (let p = 0; p < PARENTS; p++) for (let o = 0; o < PER_PARENT; o++) want.add(`${root}/p${pad(p, 4)}/${group}/o${pad(o, 2)}`);
      expect(paths.filter((r) => !want.has(r.path))).toEqual([]);
      expect(new Set(paths.map((r) => r.path)).size).toBe(DOCS);

      // Values as documented: int64 beyond 2^53 exact, µs timestamps, GeoPoint as json, references as paths, bytes.
      const i = 7 * PER_PARENT + 3;
      const [row] = await pgQuery<Record<string, unknown>>(
        `SELECT n::text, big::text, amount, "placedAt", loc, owner, raw, tags, meta FROM ${SCHEMA}.${table} WHERE path = $1`,
        [`${root}/p0007/${group}/o03`],
      );
      expect(row).toMatchObject({ n: String(i), big: String(9007199254740993n + BigInt(i)), amount: i + 0.25, owner: `${root}/p0007` });
      expect(row!.loc).toEqual({ latitude: (i % 180) - 90, longitude: (i % 360) - 180 });
      expect(Buffer.from(row!.raw as Buffer).toString('hex')).toBe(`${(i % 256).toString(16).padStart(2, '0')}07`);
      expect(row!.tags).toEqual(['a', i % 3]);
      expect(row!.meta).toEqual({ parent: 7, note: i % 11 === 0 ? null : `note ${i} ✓` });
      const [{ us }] = (await pgQuery<{ us: string }>(`SELECT to_char("placedAt" AT TIME ZONE 'UTC', 'US') AS us FROM ${SCHEMA}.${table} WHERE path = $1`, [
        `${root}/p0007/${group}/o03`,
      ])) as [{ us: string }];
      expect(us).toBe(pad(i % 1000, 6)); // nanoseconds (i % 1000) · 1000 = i % 1000 µs
    } finally {
      await first.kill9();
      await second?.stop();
      await h.stop();
    }
  }, 600_000);
});
