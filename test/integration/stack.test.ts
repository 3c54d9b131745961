/**
 * The local stack itself (scripts/stack.sh, docker-compose.yml): these tests talk to the real servers that
 * scripts/test.sh brought up — Temporal dev server, PostgreSQL, FerretDB, Cassandra — and fail if any is missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import cassandra from 'cassandra-driver';
import { MongoClient } from 'mongodb';
import { Client as PgClient } from 'pg';
import YAML from 'yaml';
import * as activities from '../fixtures/smoke-activities';
import { smokeWorkflow } from '../fixtures/smoke-workflows';

const ROOT = path.resolve(__dirname, '../..');
const STACK_SH = path.join(ROOT, 'scripts/stack.sh');
const CACHE = process.env.DATAMIGRATO_CACHE ?? path.join(os.homedir(), '.cache/datamigrato');
const TEMPORAL_ADDRESS = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
const NAMESPACE = process.env.TEMPORAL_NAMESPACE ?? 'default';
const PG_URL = process.env.PG_URL ?? 'postgres://postgres:postgres@127.0.0.1:55432/postgres';
const MONGO_URL = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27018/';
const CASSANDRA_CONTACT_POINTS = (process.env.CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:9042').split(',');
const CASSANDRA_LOCAL_DC = process.env.CASSANDRA_LOCAL_DC ?? 'datacenter1';
const WORKFLOWS_PATH = require.resolve('../fixtures/smoke-workflows');

const unique = () => `${Date.now().toString(36)}${Math.floor(Math.random() * 1e9).toString(36)}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Search attributes as scripts/stack.sh registers them (parsed from the script, so the two cannot drift). */
function stackSearchAttributes(): Map<string, string> {
  const src = fs.readFileSync(STACK_SH, 'utf8');
  const block = /SEARCH_ATTRIBUTES=\(([^)]*)\)/.exec(src);
  if (!block) throw new Error('SEARCH_ATTRIBUTES not found in scripts/stack.sh');
  return new Map(
    block[1]!
      .trim()
      .split(/\s+/)
      .map((p) => p.split('=') as [string, string]),
  );
}

function quietRuntime() {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // already installed in this jest worker process
  }
}

// ---------------------------------------------------------------------------------------------------------------
// (a) docker-compose.yml

/** A compose implementation that can parse without an engine: the docker CLI plugin, or the standalone binary
 * scripts/stack.sh builds from the Go module proxy (`bash scripts/stack.sh tools`). */
function composeCommand(): { cmd: string; args: string[]; what: string } | null {
  if (spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0) {
    return { cmd: 'docker', args: ['compose'], what: 'docker compose' };
  }
  const standalone = path.join(CACHE, 'bin', 'docker-compose');
  if (fs.existsSync(standalone) && spawnSync(standalone, ['version'], { encoding: 'utf8' }).status === 0) {
    return { cmd: standalone, args: [], what: 'docker-compose (standalone, built from the Go module proxy)' };
  }
  return null;
}
const compose = composeCommand();
const composeFile = path.join(ROOT, 'docker-compose.yml');

describe('docker-compose.yml', () => {
  const runCompose = (file: string) =>
    spawnSync(compose!.cmd, [...compose!.args, '-f', file, '--project-directory', ROOT, 'config', '-q'], {
      encoding: 'utf8',
      // No engine is contacted by `config`; make sure a stray DOCKER_HOST cannot change that.
      env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent.sock' },
    });

  (compose ? test : test.skip)(`${compose?.what ?? 'docker compose'} config -q accepts it (and rejects a broken copy)`, () => {
    const ok = runCompose(composeFile);
    expect({ status: ok.status, stderr: ok.stderr }).toEqual({ status: 0, stderr: '' });
    // Negative control: the same file with a dangling depends_on must be rejected, or this test proves nothing.
    const broken = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dm-compose-')), 'docker-compose.yml');
    fs.writeFileSync(broken, fs.readFileSync(composeFile, 'utf8').replace('      - temporal\n', '      - no-such-service\n'));
    const bad = runCompose(broken);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/no-such-service/);
  });

  /** The parts of a compose service this test reads. */
  interface ComposeService {
    image?: string;
    build?: string | { context: string };
    depends_on?: string[] | Record<string, unknown>;
    ports?: string[];
    command?: string[];
    environment?: Record<string, string>;
  }

  test('parsed with the yaml package: services, images, builds, ports, depends_on and env are consistent', () => {
    const doc = YAML.parse(fs.readFileSync(composeFile, 'utf8')) as { services: Record<string, ComposeService> };
    const services = doc.services;
    const names = Object.keys(services);
    for (const required of ['temporal', 'temporal-ui', 'temporal-search-attributes', 'postgres', 'mongo', 'cassandra', 'firebase', 'worker', 'api']) {
      expect(names).toContain(required);
    }
    const hostPorts: string[] = [];
    for (const [name, svc] of Object.entries(services)) {
      expect([name, Boolean(svc.image || svc.build)]).toEqual([name, true]);
      if (svc.image) expect([name, svc.image]).toEqual([name, expect.stringMatching(/^[\w./-]+:(\$\{\w+:-[\w.]+\}|[\w.]+)$/)]);
      if (svc.image) expect([name, svc.image]).not.toEqual([name, expect.stringMatching(/:latest$/)]);
      if (svc.build) {
        const ctx = path.join(ROOT, typeof svc.build === 'string' ? svc.build : svc.build.context);
        expect([name, fs.existsSync(path.join(ctx, 'Dockerfile'))]).toEqual([name, true]);
      }
      const deps = Array.isArray(svc.depends_on) ? svc.depends_on : Object.keys(svc.depends_on ?? {});
      for (const d of deps) expect([name, names]).toEqual([name, expect.arrayContaining([d])]);
      for (const p of svc.ports ?? []) {
        expect([name, p]).toEqual([name, expect.stringMatching(/^\d+:\d+$/)]);
        hostPorts.push(String(p).split(':')[0]!);
      }
    }
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
    // Same host ports as the local stack, so the env printed by `stack.sh env` works against either.
    expect(services.temporal.ports).toContain('7233:7233');
    expect(services['temporal-ui'].ports).toContain('8233:8080');
    expect(services.postgres.ports).toContain('55432:5432');
    expect(services.mongo.ports).toContain('27018:27017');
    expect(services.cassandra.ports).toContain('9042:9042');
    // The one-shot job registers exactly the attributes the local stack registers.
    const script = (services['temporal-search-attributes'].command ?? []).join('\n');
    for (const [n, t] of stackSearchAttributes()) expect(script).toContain(`${n}=${t}`);
    // Worker and API point at services that exist in this file.
    for (const svc of [services.worker, services.api]) {
      const e = svc.environment ?? {};
      expect(e.TEMPORAL_ADDRESS).toBe('temporal:7233');
      expect(names).toContain(new URL(e.PG_URL).hostname);
      expect(names).toContain(new URL(e.MONGO_URL).hostname);
      expect(names).toContain(e.CASSANDRA_CONTACT_POINTS.split(':')[0]);
      expect(names).toContain(e.FIRESTORE_EMULATOR_HOST.split(':')[0]);
    }
    expect(services.worker.command?.join(' ')).toBe('bin/datamigrato-worker');
    expect(services.api.command?.join(' ')).toBe('npx tsx api/main.ts');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// (b), (c) the shared dev server

describe('Temporal dev server from scripts/stack.sh', () => {
  let nativeConnection: NativeConnection;
  let connection: Connection;
  let client: Client;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = `stack-smoke-${unique()}`;

  beforeAll(async () => {
    quietRuntime();
    nativeConnection = await NativeConnection.connect({ address: TEMPORAL_ADDRESS });
    worker = await Worker.create({ connection: nativeConnection, namespace: NAMESPACE, taskQueue, workflowsPath: WORKFLOWS_PATH, activities });
    running = worker.run();
    connection = await Connection.connect({ address: TEMPORAL_ADDRESS });
    client = new Client({ connection, namespace: NAMESPACE });
  }, 120_000);

  afterAll(async () => {
    if (worker) {
      worker.shutdown();
      await running;
    }
    await nativeConnection?.close();
    await connection?.close();
  });

  test('is a real Temporal 1.29 server with the Datamigrato* search attributes registered', async () => {
    const info = await connection.workflowService.getSystemInfo({});
    expect(info.serverVersion).toMatch(/^1\.29\./);
    const sa = await connection.operatorService.listSearchAttributes({ namespace: NAMESPACE });
    const custom = Object.fromEntries(Object.entries(sa.customAttributes ?? {}).map(([k, v]) => [k, Number(v)]));
    const typeCode: Record<string, number> = { Text: 1, Keyword: 2, Int: 3, Double: 4, Bool: 5, Datetime: 6, KeywordList: 7 };
    for (const [name, type] of stackSearchAttributes()) expect([name, custom[name]]).toEqual([name, typeCode[type]]);
  });

  test('runs a workflow through an in-process worker and returns the activity result', async () => {
    const name = `smoke-${unique()}`;
    const handle = await client.workflow.start(smokeWorkflow, { taskQueue, workflowId: name, args: [name] });
    expect(await handle.result()).toBe(`hello, ${name} (activity ran in pid ${process.pid})`);
    const history = await handle.fetchHistory();
    const types = (history.events ?? []).map((e) => Object.keys(e).find((k) => k.endsWith('EventAttributes')));
    expect(types).toEqual(
      expect.arrayContaining(['activityTaskScheduledEventAttributes', 'activityTaskCompletedEventAttributes', 'workflowExecutionCompletedEventAttributes']),
    );
  });

  test('lists a workflow through visibility by the DatamigratoJob search attribute', async () => {
    const JOB = defineSearchAttributeKey('DatamigratoJob', SearchAttributeType.KEYWORD);
    const ROWS = defineSearchAttributeKey('DatamigratoRows', SearchAttributeType.INT);
    const job = `job-${unique()}`;
    const workflowId = `sa-${job}`;
    const handle = await client.workflow.start(smokeWorkflow, {
      taskQueue,
      workflowId,
      args: [job],
      typedSearchAttributes: [
        { key: JOB, value: job },
        { key: ROWS, value: 42 },
      ],
    });
    await handle.result();

    const list = async (query: string) => {
      const found = [];
      for await (const wf of client.workflow.list({ query })) found.push(wf);
      return found;
    };
    // Visibility is eventually consistent: poll, bounded.
    const deadline = Date.now() + 30_000;
    let found = await list(`DatamigratoJob = '${job}' AND ExecutionStatus = 'Completed'`);
    while (found.length === 0 && Date.now() < deadline) {
      await sleep(250);
      found = await list(`DatamigratoJob = '${job}' AND ExecutionStatus = 'Completed'`);
    }
    expect(found.map((w) => w.workflowId)).toEqual([workflowId]);
    expect(found[0]!.typedSearchAttributes.get(JOB)).toBe(job);
    expect(found[0]!.typedSearchAttributes.get(ROWS)).toBe(42);
    expect((await list(`DatamigratoJob = '${job}' AND DatamigratoRows = 42`)).map((w) => w.workflowId)).toEqual([workflowId]);
    // Negative controls: the filter really filters.
    expect(await list(`DatamigratoJob = '${job}-other'`)).toEqual([]);
    expect(await list(`DatamigratoJob = '${job}' AND DatamigratoRows = 43`)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// (d) persistence across kill -9, on a second, private server started by the same script (own .stack dir and
// ports), so the shared dev server other test files and developers use is never killed.

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

describe('Temporal persistence (scripts/stack.sh, SQLite db file)', () => {
  let stackDir: string;
  let stackEnv: NodeJS.ProcessEnv;
  const stack = (...args: string[]) =>
    execFileSync('bash', [STACK_SH, ...args], { env: stackEnv, encoding: 'utf8', timeout: 300_000, stdio: ['ignore', 'pipe', 'pipe'] });

  beforeAll(async () => {
    quietRuntime();
    stackDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dm-stack-'));
    const port = await freePort();
    let uiPort = await freePort();
    while (uiPort === port) uiPort = await freePort();
    stackEnv = { ...process.env, DATAMIGRATO_STACK_DIR: stackDir, DATAMIGRATO_TEMPORAL_PORT: String(port), DATAMIGRATO_TEMPORAL_UI_PORT: String(uiPort) };
  });

  afterAll(() => {
    if (stackEnv) stack('down', 'temporal');
    if (stackDir) fs.rmSync(stackDir, { recursive: true, force: true });
  });

  test('a completed workflow survives kill -9 of the server and a restart via `stack.sh up temporal`', async () => {
    const up1 = stack('up', 'temporal');
    expect(up1).toMatch(/temporal\s+started/);
    const address = `127.0.0.1:${stackEnv.DATAMIGRATO_TEMPORAL_PORT}`;
    const pidFile = path.join(stackDir, 'temporal', 'temporal.pid');
    const pid1 = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(fs.existsSync(path.join(stackDir, 'temporal', 'temporal.db'))).toBe(true);

    // Run a workflow to completion on the private server.
    const workflowId = `persist-${unique()}`;
    const taskQueue = `stack-persist-${unique()}`;
    const nc = await NativeConnection.connect({ address });
    const worker = await Worker.create({ connection: nc, namespace: 'default', taskQueue, workflowsPath: WORKFLOWS_PATH, activities });
    let conn = await Connection.connect({ address });
    let client = new Client({ connection: conn, namespace: 'default' });
    const result = await worker.runUntil(client.workflow.execute(smokeWorkflow, { taskQueue, workflowId, args: [workflowId] }));
    expect(result).toBe(`hello, ${workflowId} (activity ran in pid ${process.pid})`);
    await nc.close();
    await conn.close();

    // kill -9: no graceful shutdown, only what the SQLite file already holds survives.
    process.kill(pid1, 'SIGKILL');
    const deadline = Date.now() + 15_000;
    while (alive(pid1) && Date.now() < deadline) await sleep(100);
    expect(alive(pid1)).toBe(false);
    expect(stack('status')).toMatch(/^temporal\s+down/m);

    const up2 = stack('up', 'temporal');
    expect(up2).toMatch(/temporal\s+started/);
    const pid2 = Number(fs.readFileSync(pidFile, 'utf8'));
    expect(pid2).not.toBe(pid1);
    expect(alive(pid2)).toBe(true);

    conn = await Connection.connect({ address });
    client = new Client({ connection: conn, namespace: 'default' });
    try {
      const handle = client.workflow.getHandle(workflowId);
      expect((await handle.describe()).status.name).toBe('COMPLETED');
      const events = (await handle.fetchHistory()).events ?? [];
      const completed = events.find((e) => e.workflowExecutionCompletedEventAttributes);
      expect(completed).toBeDefined();
      expect(events.some((e) => e.activityTaskCompletedEventAttributes)).toBe(true);
      expect(await handle.result()).toBe(result);
    } finally {
      await conn.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// the databases the stack starts answer for real

describe('databases from scripts/stack.sh', () => {
  test('PostgreSQL: password login, a real server, test tuning applied', async () => {
    const pg = new PgClient({ connectionString: PG_URL });
    await pg.connect();
    try {
      const { rows } = await pg.query<{ v: string; fsync: string; mc: string }>(
        "SELECT version() AS v, current_setting('fsync') AS fsync, current_setting('max_connections') AS mc",
      );
      expect(rows[0]!.v).toMatch(/^PostgreSQL \d+/);
      expect(rows[0]).toMatchObject({ fsync: 'off', mc: '200' });
      const t = `stack_probe_${unique()}`;
      await pg.query(`CREATE TEMP TABLE ${t} (id int primary key, s text)`);
      await pg.query(`INSERT INTO ${t} SELECT g, 'row ' || g FROM generate_series(1, 1000) g`);
      expect((await pg.query(`SELECT count(*)::int AS n FROM ${t}`)).rows[0].n).toBe(1000);
    } finally {
      await pg.end();
    }
  });

  test('FerretDB: MongoDB wire protocol round trip (ferretdbVersion in buildInfo)', async () => {
    const mongo = await MongoClient.connect(MONGO_URL, { serverSelectionTimeoutMS: 5000 });
    try {
      const info = await mongo.db('admin').command({ buildInfo: 1 });
      expect(info.ferretdbVersion).toBe('v1.24.2');
      const coll = mongo.db('dm_stack_test').collection<{ _id: number; v: string }>(`probe_${unique()}`);
      await coll.insertMany(Array.from({ length: 100 }, (_, i) => ({ _id: i, v: `doc ${i}` })));
      expect(await coll.countDocuments()).toBe(100);
      expect(await coll.findOne({ _id: 42 })).toEqual({ _id: 42, v: 'doc 42' });
      await coll.drop();
    } finally {
      await mongo.close();
    }
  });

  test('Cassandra 5.0: CQL round trip on the native port', async () => {
    const username = process.env.CASSANDRA_USERNAME;
    const client = new cassandra.Client({
      contactPoints: CASSANDRA_CONTACT_POINTS,
      localDataCenter: CASSANDRA_LOCAL_DC,
      ...(username ? { credentials: { username, password: process.env.CASSANDRA_PASSWORD ?? '' } } : {}),
    });
    await client.connect();
    try {
      const rv = await client.execute('SELECT release_version FROM system.local');
      expect(rv.rows[0]!.release_version).toBe('5.0.9');
      await client.execute("CREATE KEYSPACE IF NOT EXISTS dm_stack_test WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
      const t = `dm_stack_test.probe_${unique()}`;
      await client.execute(`CREATE TABLE ${t} (id int PRIMARY KEY, v text)`);
      for (let i = 0; i < 20; i++) await client.execute(`INSERT INTO ${t} (id, v) VALUES (?, ?)`, [i, `row ${i}`], { prepare: true });
      const r = await client.execute(`SELECT v FROM ${t} WHERE id = ?`, [7], { prepare: true });
      expect(r.rows[0]!.v).toBe('row 7');
      expect((await client.execute(`SELECT count(*) AS n FROM ${t}`)).rows[0]!.n.toNumber()).toBe(20);
      await client.execute(`DROP TABLE ${t}`);
    } finally {
      await client.shutdown();
    }
  });
});
