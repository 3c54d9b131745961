import type { MigrationReport } from '../../workflows/types';
import { countCassandra, withCassandra } from '../helpers/cassandra';
import { TEST_DB as DB, TEST_KEYSPACE as KS, cleanup, mongoToCassandra, parsed } from '../helpers/cross';
import { uniqueSuffix } from '../helpers/env';
import { mongoIds, seedPeople } from '../helpers/mongo';
import { startHarness, waitFor } from '../helpers/temporal';
import { spawnWorker, type WorkerProcess } from '../helpers/worker-process';

const DOCS = Number(process.env.KILL_DOCS ?? 40_000);

describe('kill -9 of the worker mid MongoDB → Cassandra', () => {
  const collection = `kill_src_${uniqueSuffix()}`;
  const drop = cleanup();
  beforeAll(async () => {
    drop.collection(collection);
    await seedPeople(DB, collection, DOCS);
  }, 120_000);
  afterAll(() => drop.run(), 120_000);

  test(`${DOCS} documents: a second worker finishes, exact row count, no duplicates, checksums equal`, async () => {
    const table = `kill_${uniqueSuffix()}`;
    drop.table(table);
    const taskQueue = `kill-mc-${uniqueSuffix()}`;
    const h = await startHarness('kill-mc-client'); // a client; its own in-process worker polls another queue
    const first = await spawnWorker(taskQueue);
    let second: WorkerProcess | undefined;
    try {
      const spec = parsed(mongoToCassandra(`kill-${table}`, collection, table, { batchSize: 1_000 }));
      const handle = await h.client.workflow.start('migrationWorkflow', { taskQueue, workflowId: `kill-mc-${table}`, args: [{ spec }] });
      const before = await waitFor(
        () => countCassandra(`${KS}.${table}`).catch(() => 0),
        (n) => n >= 10_000,
        240_000,
        200,
      );
      expect(before).toBeGreaterThanOrEqual(10_000);
      await first.kill9();
      const atKill = await countCassandra(`${KS}.${table}`);
      expect(atKill).toBeLessThan(DOCS); // really mid-copy
      second = await spawnWorker(taskQueue);
      const report: MigrationReport = await handle.result();

      const resumes = report.partitions.reduce((n, p) => n + p.resumes, 0);
      console.log(
        JSON.stringify({ docs: DOCS, rowsAtKill: atKill, resumes, reportRows: report.rows, rowsPerSecond: report.rowsPerSecond, timings: report.timings }),
      );
      expect(report.status).toBe('completed');
      expect(report.rows).toBe(DOCS); // each row counted once although some were written twice
      expect(resumes).toBeGreaterThanOrEqual(1); // the interrupted chunk resumed from its heartbeat
      expect(report.validation).toMatchObject({ status: 'match', source: { count: DOCS }, target: { count: DOCS } });
      // Independently of our checksums: exactly the source's ids, each once (the primary key makes a rewrite an overwrite).
      expect(await countCassandra(`${KS}.${table}`)).toBe(DOCS);
      const ids: string[] = [];
      await withCassandra(async (c) => {
        let pageState: string | undefined;
        do {
          const page = await c.execute(`SELECT id FROM ${KS}.${table}`, [], { fetchSize: 20_000, pageState });
          page.rows.forEach((r) => ids.push(r.id));
          pageState = page.pageState ?? undefined;
        } while (pageState);
      });
      expect(new Set(ids).size).toBe(ids.length);
      const source = await mongoIds(DB, collection);
      expect(ids.length).toBe(source.size);
      expect(ids.filter((id) => !source.has(id))).toEqual([]);
    } finally {
      await first.kill9();
      await second?.stop();
      await h.stop();
    }
  }, 600_000);
});
