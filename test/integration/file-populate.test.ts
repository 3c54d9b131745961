import { execFile } from 'node:child_process';
import { createWriteStream, mkdtempSync, promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { createGzip } from 'node:zlib';
import type { MigrationView } from '../../client';
import { cassandraConnection, ensureKeyspace, withCassandra } from '../helpers/cassandra';
import { uniqueSuffix } from '../helpers/env';
import { startFileServer, type FileServer } from '../helpers/file-server';
import { withMongo } from '../helpers/mongo';
import { fixture as firestoreFixture } from '../conformance/fixtures/firestore';
import { fixture as rtdbFixture } from '../conformance/fixtures/rtdb';
import { withFirestore } from '../helpers/firestore';
import { valueOf, withRtdb } from '../helpers/rtdb';
import { startHarness, type TemporalHarness } from '../helpers/temporal';

/**
 * Issue 10, acceptance 4: `datamigrato populate <url> --into <target>` (the real CLI, in a child process) of a
 * gzip NDJSON file served by a local HTTP server, into every target of TARGETS. One line is malformed: it is
 * quarantined with its line number and the report counts it. Records past the inference sample carry a field the
 * sample never saw (`note`): it travels in _extra (spread back by MongoDB, a JSON column in Cassandra) and
 * validation digests it. POPULATE_RECORDS sets the size (default 8,000 to keep CI short — RTDB on firebase-server takes ~100 rows/s; the figure is 200,000).
 */
const RECORDS = Number(process.env.POPULATE_RECORDS ?? 8_000);
const BAD_LINE = Math.floor(RECORDS / 2) + 1;
/** RTDB on firebase-server needs ~10 ms a record; never below 25 min. */
const RUN_MS = Math.max(1_500_000, RECORDS * 25);
const NOTE_EVERY = 1_000; // only on records past the sample of 1,000
const BRANCH = 'wt_file';
const DB = `${BRANCH}_dm`;
const KS = `${BRANCH}_dm`;
const BIN = path.resolve(__dirname, '../../bin/datamigrato');
const execFileP = promisify(execFile);

const record = (i: number) => ({
  id: i,
  name: `user ${i} ✓`,
  ...(i % 7 ? { email: `u${i}@example.com` } : {}),
  age: i % 90,
  score: i * 0.25,
  active: i % 3 === 0,
  tags: [`t${i % 5}`, `t${i % 11}`],
  address: { city: `c${i % 100}`, zip: String(10_000 + (i % 900)) },
  ...(i > 1_000 && i % NOTE_EVERY === 0 ? { note: { n: i, text: 'unforeseen' } } : {}),
});
const notes = Array.from({ length: RECORDS }, (_, k) => k + 1).filter((i) => i !== BAD_LINE && i > 1_000 && i % NOTE_EVERY === 0).length;

/** Streams the records into a gzip NDJSON file (never held whole); line BAD_LINE is cut short. */
async function writeGzipNdjson(file: string): Promise<void> {
  const gz = createGzip();
  const done = once(gz.pipe(createWriteStream(file)), 'finish');
  for (let i = 1; i <= RECORDS; i++) {
    const line = i === BAD_LINE ? `{"id": ${i}, "name": "broken` : JSON.stringify(record(i));
    if (!gz.write(`${line}\n`)) await once(gz, 'drain');
  }
  gz.end();
  await done;
}

interface Target {
  name: string;
  /** Which server serves the file: Range support does not matter for gzip, which is re-read from the start. */
  range: boolean;
  /** Why the target's server is absent (the test then skips loudly), or null. */
  unavailable?: () => string | null;
  endpoint(object: string): Record<string, unknown>;
  /** Reads the target natively: records stored, records with `note` kept, dead letters of this object. */
  inspect(object: string): Promise<{ stored: number; noted: number; deadLetters: { key: string | null; error: string }[] }>;
  drop(object: string): Promise<void>;
}

const TARGETS: Target[] = [
  {
    name: 'mongodb',
    range: false,
    // writeMode insert: FerretDB scans the whole collection for every upsert by _id (see docs/connectors-mongo-cassandra.md).
    endpoint: (collection) => ({ type: 'mongodb', connection: { url: { env: 'MONGO_URL' } }, database: DB, collection, writeMode: 'insert' }),
    inspect: (collection) =>
      withMongo(async (m) => {
        const db = m.db(DB);
        const letters = await db
          .collection('_datamigrato_dead_letters')
          .find({ target: `${DB}.${collection}` })
          .toArray();
        return {
          stored: await db.collection(collection).countDocuments(),
          noted: await db.collection(collection).countDocuments({ 'note.text': 'unforeseen' }),
          deadLetters: letters.map((l) => ({ key: l.key as string | null, error: l.error as string })),
        };
      }),
    drop: (collection) => withMongo((m) => m.db(DB).collection(collection).drop()).then(() => undefined),
  },
  {
    name: 'cassandra',
    range: true,
    endpoint: (table) => ({ type: 'cassandra', connection: cassandraConnection(), keyspace: KS, table }),
    inspect: (table) =>
      withCassandra(async (c) => {
        // Counted by paging through the keys: a count(*) over 200k rows fails server-side on a loaded node (read timeout).
        let stored = 0;
        let pageState: string | undefined;
        do {
          const page = await c.execute(`SELECT id FROM ${KS}.${table}`, [], { prepare: true, fetchSize: 5_000, pageState });
          stored += page.rows.length;
          pageState = page.pageState ?? undefined;
        } while (pageState);
        let noted = 0;
        for (let i = NOTE_EVERY * 2; i <= RECORDS; i += NOTE_EVERY) {
          const r = (await c.execute(`SELECT "_extra" FROM ${KS}.${table} WHERE id = ?`, [BigInt(i)], { prepare: true })).rows[0];
          if (r && String(r._extra).includes('unforeseen')) noted++;
        }
        const letters = (await c.execute(`SELECT record_key, error, target_table FROM ${KS}."_datamigrato_dead_letters"`)).rows.filter((r) =>
          String(r.target_table).endsWith(table),
        );
        return { stored, noted, deadLetters: letters.map((l) => ({ key: l.record_key as string | null, error: l.error as string })) };
      }),
    drop: (table) => withCassandra((c) => c.execute(`DROP TABLE IF EXISTS ${KS}.${table}`)).then(() => undefined),
  },
  {
    name: 'firestore',
    range: true,
    unavailable: firestoreFixture.unavailable,
    endpoint: (collection) => firestoreFixture.endpoint(collection),
    inspect: (collection) =>
      withFirestore(async (db) => ({
        stored: Number((await db.collection(collection).count().get()).data().count),
        noted: Number((await db.collection(collection).where('note.text', '==', 'unforeseen').count().get()).data().count),
        deadLetters: await firestoreFixture.deadLetters(collection),
      })),
    drop: (collection) => firestoreFixture.drop(collection),
  },
  {
    name: 'rtdb',
    range: false,
    unavailable: rtdbFixture.unavailable,
    endpoint: (object) => rtdbFixture.endpoint(object),
    inspect: async (object) => {
      // The path the fixture's endpoint names; firebase-server sends a whole node, fine at this size.
      const path = (rtdbFixture.endpoint(object) as unknown as { path: string }).path;
      const children = Object.values(((await withRtdb((db) => valueOf(db, path), 300_000)) ?? {}) as Record<string, { note?: { text?: string } }>);
      return {
        stored: children.length,
        noted: children.filter((c) => c.note?.text === 'unforeseen').length,
        deadLetters: await rtdbFixture.deadLetters(object),
      };
    },
    drop: (object) => rtdbFixture.drop(object),
  },
];

describe(`datamigrato populate: ${RECORDS} records of gzip NDJSON over HTTP`, () => {
  let h: TemporalHarness;
  const servers: Record<'range' | 'plain', FileServer | null> = { range: null, plain: null };
  const dir = mkdtempSync(path.join(tmpdir(), 'dm-populate-'));
  const file = 'people.ndjson.gz';
  const dropped: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    const t0 = Date.now();
    await writeGzipNdjson(path.join(dir, file));
    console.log(JSON.stringify({ generated: RECORDS, gzipBytes: (await fs.stat(path.join(dir, file))).size, ms: Date.now() - t0 }));
    servers.range = await startFileServer(dir, { range: true });
    servers.plain = await startFileServer(dir, { range: false });
    await withCassandra((c) => ensureKeyspace(c, KS));
    h = await startHarness('populate');
  }, 180_000);
  afterAll(
    async () => {
      await h?.stop();
      await servers.range?.close();
      await servers.plain?.close();
      for (const d of dropped) await d().catch(() => undefined);
      await fs.rm(dir, { recursive: true, force: true });
    },
    Math.max(120_000, RECORDS * 3),
  ); // dropping 200k Firestore documents takes minutes

  for (const t of TARGETS) {
    const why = t.unavailable?.();
    if (why) {
      // Loud: the reason is in the skipped test's name and printed.
      test.skip(`into ${t.name}: skipped — ${why}`, () => undefined);
      console.warn(`[file-populate] ${t.name} skipped: ${why}`);
      continue;
    }
    test(
      `into ${t.name} (server ${t.range ? 'with' : 'without'} Range): every good record, the malformed line quarantined by number`,
      async () => {
        const object = `${BRANCH}_populate_${uniqueSuffix()}`;
        dropped.push(() => t.drop(object));
        const url = (t.range ? servers.range : servers.plain)!.url(file);
        const t0 = Date.now();
        const { stdout } = await execFileP(
          BIN,
          ['populate', url, '--into', JSON.stringify(t.endpoint(object)), '--key', 'id', '--on-record-error', 'quarantine', '--batch-size', '2000', '--json'],
          { env: { ...process.env, DATAMIGRATO_TASK_QUEUE: h.taskQueue }, timeout: RUN_MS, maxBuffer: 64 << 20 },
        );
        const view = JSON.parse(stdout) as MigrationView;
        const report = view.report!;
        console.log(
          JSON.stringify({
            target: t.name,
            records: RECORDS,
            rows: report.rows,
            quarantined: report.quarantined,
            ms: Date.now() - t0,
            rowsPerSecond: report.rowsPerSecond,
            validation: report.validation?.status,
          }),
        );
        expect(view.status).toBe('Completed');
        expect(report.rows).toBe(RECORDS - 1);
        expect(report.quarantined).toBe(1);
        expect(report.validation?.status).toBe('match');
        const seen = await t.inspect(object);
        expect(seen.stored).toBe(RECORDS - 1);
        expect(seen.noted).toBe(notes);
        expect(seen.deadLetters).toEqual([expect.objectContaining({ error: expect.stringContaining(`line ${BAD_LINE}: malformed JSON`) })]);
      },
      RUN_MS + 300_000,
    );
  }
});
