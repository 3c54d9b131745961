import type { MigrationReport } from '../../workflows/types';
import { parsed } from '../helpers/cross';
import { startFaultProxy, type FaultProxy } from '../helpers/dynamo-fault-proxy';
import { dropTable, dynamoConnectionSpec, dynamoEndpoint, dynamoUp, scanAll, withDynamo } from '../helpers/dynamodb';
import { uniqueSuffix } from '../helpers/env';
import { countRows, createSimpleSource, pgQuery } from '../helpers/pg';
import { startHarness, type TemporalHarness } from '../helpers/temporal';
import { spawnWorker, type WorkerProcess } from '../helpers/worker-process';

// CI size: six throttle windows and ~180 unprocessed-item replies; the acceptance ran DYNAMO_FAULT_ROWS=200000.
const ROWS = Number(process.env.DYNAMO_FAULT_ROWS ?? 60_000);
const SCHEMA = 'dm_test';

/**
 * Issue 11, acceptance 3: a DynamoDB target behind a proxy that throttles (ProvisionedThroughputExceeded
 * bursts longer than the SDK's own retries) and hands back half of some batches as UnprocessedItems. The
 * worker runs in its own process so its log can be searched for the retries.
 */
describe(`PostgreSQL → DynamoDB through injected throttling and unprocessed items, ${ROWS} rows`, () => {
  let h: TemporalHarness;
  let proxy: FaultProxy;
  let worker: WorkerProcess | undefined;
  const src = `ddb_fault_src_${uniqueSuffix()}`;
  const table = `ddb_fault_${uniqueSuffix()}`;
  let up = false;

  beforeAll(async () => {
    up = await dynamoUp();
    if (!up) return;
    await createSimpleSource(SCHEMA, src, ROWS);
    proxy = await startFaultProxy(dynamoEndpoint, { throttleEvery: 400, throttleForMs: 2_500, unprocessedEvery: 13 });
    h = await startHarness('ddb-fault-client');
  }, 300_000);
  afterAll(async () => {
    await worker?.stop();
    await h?.stop();
    await proxy?.close();
    await pgQuery(`DROP TABLE IF EXISTS ${SCHEMA}.${src}`).catch(() => undefined);
    if (up) await withDynamo((c) => dropTable(c, table));
  }, 120_000);

  test('nothing lost, every key present, retries in the worker log, validation match', async () => {
    if (!up) {
      console.warn(`SKIPPED: no DynamoDB API server at ${dynamoEndpoint} (bash scripts/stack.sh up dynamodb)`);
      return;
    }
    const taskQueue = `ddb-fault-${uniqueSuffix()}`;
    const spec = parsed({
      name: `ddb-fault-${table}`,
      source: { type: 'postgres', connection: { url: { env: 'PG_URL' } }, schema: SCHEMA, table: src },
      target: { type: 'dynamodb', connection: dynamoConnectionSpec(proxy.url), table },
      batchSize: 1_000,
      parallelism: 2,
      partitions: 4,
    });
    worker = await spawnWorker(taskQueue);
    const t0 = Date.now();
    const report: MigrationReport = await h.client.workflow.execute('migrationWorkflow', { taskQueue, workflowId: spec.name, args: [{ spec }] });
    const ms = Date.now() - t0;
    const log = worker.output();
    const lines = log.split('\n').filter((l) => l.includes('"connector":"dynamodb"'));
    const backoffs = lines.filter((l) => l.includes('retrying BatchWriteItem after backoff'));
    const throttledBackoffs = backoffs.filter((l) => l.includes('"reason":"ProvisionedThroughputExceededException"')).length;
    const unprocessedBackoffs = backoffs.filter((l) => l.includes('"reason":"unprocessed items"')).length;
    const sdkRetries = lines.filter((l) => l.includes('the SDK retried BatchWriteItem')).length;
    console.log(
      JSON.stringify({
        rows: report.rows,
        ms,
        rowsPerSecond: report.rowsPerSecond,
        proxy: proxy.stats,
        unprocessedBackoffs,
        throttledBackoffs,
        sdkRetries,
        validation: report.validation?.status,
      }),
    );

    expect(report.status).toBe('completed');
    expect(report.rows).toBe(ROWS);
    expect(report.quarantined).toBe(0);
    expect(report.validation).toMatchObject({ status: 'match', source: { count: ROWS }, target: { count: ROWS } });
    expect(proxy.stats.throttled).toBeGreaterThan(0);
    expect(proxy.stats.partial).toBeGreaterThan(0);
    // Both kinds of retry are visible in the worker's own log (JSON lines: reason, counts, attempt, delay).
    expect(unprocessedBackoffs).toBeGreaterThan(0);
    expect(throttledBackoffs).toBeGreaterThan(0);
    expect(backoffs[0]).toMatch(/"unprocessed":\d+,"of":\d+,"attempt":\d+,"delayMs":\d+/);

    const items = await withDynamo((c) => scanAll(c, table));
    expect(items.length).toBe(await countRows(`${SCHEMA}.${src}`));
    const ids = new Set(items.map((i) => Number(i.id!.N)));
    const missing: number[] = [];
    for (let id = 1; id <= ROWS; id++) if (!ids.has(id)) missing.push(id);
    expect(missing).toEqual([]);
    const one = items.find((i) => i.id!.N === '4242')!;
    expect(one).toEqual({ id: { N: '4242' }, n: { N: '242' }, payload: { S: expect.stringMatching(/^[0-9a-f]{32}p{100}$/) } });
  }, 900_000);
});
