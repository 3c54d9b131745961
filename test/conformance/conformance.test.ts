import { getConnector } from '../../src/connectors/registry';
import type { ConnectorSession } from '../../src/connectors/contract';
import { logger } from '../../src/logging';
import { keyText } from '../../src/model/keys';
import type { KeyRange, ObjectSchema, Row, Value } from '../../src/model/types';
import { canonicalRow, canonicalValue } from '../../src/validation/canonical';
import { uniqueSuffix } from '../helpers/env';
import { BEHAVIOURS, type Behaviour, type ConformanceFixture } from './fixture';
import type { Endpoint } from '../../src/job/endpoints';
import { selectObjects } from '../../src/job/patterns';
import { fixture as memory } from './fixtures/memory';
import { fixture as postgres } from './fixtures/postgres';
import { fixture as mongodb } from './fixtures/mongodb';
import { fixture as cassandra } from './fixtures/cassandra';
import { fixture as sqlite } from './fixtures/sqlite';
import { fixture as mysql } from './fixtures/mysql';
import { fixture as dynamodb } from './fixtures/dynamodb';
import { fixture as file } from './fixtures/file';
import { fixture as firestore } from './fixtures/firestore';
import { fixture as rtdb } from './fixtures/rtdb';
import { TSZ_UTC, compositeRows, compositeSchema, seedRows, seedSchema, tortureRows, tortureSchema } from './torture';

/**
 * One table of behaviours every registered connector must pass, in the spirit of Airbyte's standard
 * source/destination tests. Connectors are driven through the registry (open with a resolved connection),
 * not through Temporal; each joins by adding a fixture. The behaviour × connector table is printed at the end.
 */
const FIXTURES: ConformanceFixture[] = [memory, postgres, mongodb, cassandra, sqlite, mysql, dynamodb, file, firestore, rtdb];
const ONLY = process.env.DATAMIGRATO_CONFORMANCE?.split(',');

type Outcome = 'pass' | 'fail' | `skip(${string})`;
const results = new Map<string, Map<Behaviour, Outcome>>();
const record = (type: string, b: Behaviour, o: Outcome) => {
  if (!results.has(type)) results.set(type, new Map());
  results.get(type)!.set(b, o);
};

async function open(fx: ConformanceFixture, object: string, connection = fx.connection()): Promise<ConnectorSession> {
  const d = getConnector(fx.type);
  return d.open(d.endpointSchema.parse(fx.endpoint(object)), connection, logger.child({ test: 'conformance', connector: fx.type }));
}

async function withSession<T>(fx: ConformanceFixture, object: string, fn: (s: ConnectorSession) => Promise<T>): Promise<T> {
  const s = await open(fx, object);
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

async function readRange(s: ConnectorSession, schema: ObjectSchema, range: KeyRange, after: unknown = null, batch = 7) {
  const rows: Row[] = [];
  const cursors: unknown[] = [];
  for await (const b of s.read(schema, range, after as never, batch)) {
    rows.push(...b.rows);
    cursors.push(b.cursor);
  }
  return { rows, cursors };
}

const canon = (rows: Row[], schema: ObjectSchema) => rows.map((r) => canonicalRow(r, schema));
const sorted = (xs: string[]) => [...xs].sort();
const whole: KeyRange = { id: 0, lower: null, upper: null };

/** Registers one behaviour for one connector: skips loudly with the reason, records the outcome for the table. */
function behaviour(fx: ConformanceFixture, b: Behaviour, fn: (object: string) => Promise<void | string>) {
  test(`${fx.type}: ${b}`, async () => {
    const reason = fx.unavailable() ?? fx.skips[b];
    if (reason) {
      console.warn(`SKIPPED ${fx.type} / ${b}: ${reason}`);
      record(fx.type, b, `skip(${reason})`);
      return;
    }
    const object = `conf_${b.replace(/\W+/g, '_').slice(0, 12)}_${uniqueSuffix()}`;
    try {
      const skipped = await fn(object);
      record(fx.type, b, skipped ? `skip(${skipped})` : 'pass');
      if (skipped) console.warn(`SKIPPED ${fx.type} / ${b}: ${skipped}`);
    } catch (err) {
      record(fx.type, b, 'fail');
      throw err;
    } finally {
      await fx.drop(object).catch(() => undefined);
    }
  });
}

function conformance(fx: ConformanceFixture) {
  describe(`connector ${fx.type}`, () => {
    behaviour(fx, 'check ok', async (object) => {
      await withSession(fx, object, (s) => s.check());
    });

    behaviour(fx, 'check auth failure', async (object) => {
      const bad = fx.badCredentials();
      if (typeof bad === 'string') return bad;
      const s = await open(fx, object, bad.connection);
      const err = (await s
        .check()
        .then(
          () => null,
          (e: unknown) => e,
        )
        .finally(() => s.close().catch(() => undefined))) as Error & { kind?: string };
      expect(err).not.toBeNull();
      expect(err.kind).toBe('AuthError');
      expect(err.message).toContain(`[${fx.type}]`);
      expect(err.message).not.toContain(bad.secret);
      expect(err.stack ?? '').not.toContain(bad.secret);
    });

    behaviour(fx, 'describe', async (object) => {
      const schema = seedSchema(object);
      await fx.seed(object, schema, seedRows(5));
      const described = await withSession(fx, object, (s) => s.describe());
      expect(described).not.toBeNull();
      const k = fx.nativeKey ?? 'id';
      expect(described!.key).toEqual([k]);
      const types = Object.fromEntries(described!.fields.map((f) => [f.name, f.type]));
      expect(types).toEqual(expect.objectContaining({ [k]: 'int64', name: 'string', n: fx.describedInt32As ?? 'int32' }));
      expect(await withSession(fx, `missing_${uniqueSuffix()}`, (s) => s.describe())).toBeNull();
    });

    behaviour(fx, 'partitions disjoint and complete', async (object) => {
      const rows = seedRows(120);
      await fx.seed(object, seedSchema(object), rows);
      await withSession(fx, object, async (s) => {
        const schema = (await s.describe())!;
        const ranges = await s.planPartitions(schema, 4);
        expect(ranges.length).toBeGreaterThanOrEqual(1);
        const seen: string[] = [];
        for (const r of ranges) seen.push(...(await readRange(s, schema, r)).rows.map((x) => String(x[schema.key[0]!])));
        expect(seen.length).toBe(rows.length); // no duplicates across ranges…
        expect(sorted(seen)).toEqual(sorted(rows.map((r) => String(r.id)))); // …and none missing
      });
    });

    behaviour(fx, 'resume from any cursor', async (object) => {
      const rows = seedRows(60);
      await fx.seed(object, seedSchema(object), rows);
      await withSession(fx, object, async (s) => {
        const schema = (await s.describe())!;
        for (const range of await s.planPartitions(schema, 2)) {
          const full = await readRange(s, schema, range);
          for (const k of [0, 1, Math.floor(full.cursors.length / 2), full.cursors.length - 1]) {
            if (k < 0 || k >= full.cursors.length) continue;
            const cursor = JSON.parse(JSON.stringify(full.cursors[k])); // cursors travel through Temporal as JSON
            const rest = await readRange(s, schema, range, cursor);
            expect(canon(rest.rows, schema)).toEqual(canon(full.rows.slice((k + 1) * 7), schema));
          }
        }
      });
    });

    behaviour(fx, 'idempotent rewrite', async (object) => {
      const schema = seedSchema(object);
      const rows = seedRows(30);
      await withSession(fx, object, async (s) => {
        await s.prepare(schema);
        expect((await s.write(schema, rows)).written).toBe(30);
        await s.write(schema, rows);
        await s.prepare(schema); // a second prepare on an existing object is a no-op
      });
      const stored = await fx.readAll(object, schema);
      expect(sorted(canon(stored, schema))).toEqual(sorted(canon(rows, schema)));
    });

    behaviour(fx, 'rejected record + quarantine', async (object) => {
      const schema = seedSchema(object);
      const good = seedRows(3);
      const bad: Row = { id: 999n, name: 'bad', n: 'not a number' as unknown as Value };
      await withSession(fx, object, async (s) => {
        await s.prepare(schema);
        const out = await s.write(schema, [good[0]!, bad, good[1]!, good[2]!]);
        expect(out.written).toBe(3);
        expect(out.rejected).toHaveLength(1);
        expect(out.rejected[0]!.row.id).toBe(999n);
        expect(out.rejected[0]!.error).toBeTruthy();
        const letter = {
          job: 'conformance',
          runId: 'run-1',
          partition: 0,
          key: keyText(bad, schema.key),
          record: bad,
          error: out.rejected[0]!.error,
          stage: 'write' as const,
        };
        await s.quarantine([letter]);
        // A batch replayed after a crash quarantines the same record again: still one dead letter.
        await s.quarantine([letter]);
      });
      expect(sorted((await fx.readAll(object, schema)).map((r) => String(r.id)))).toEqual(sorted(good.map((r) => String(r.id))));
      const letters = await fx.deadLetters(object);
      expect(letters).toEqual([expect.objectContaining({ key: '999' })]);
      expect(letters[0]!.error).toBeTruthy();
    });

    behaviour(fx, 'composite keys', async (object) => {
      const schema = compositeSchema(object);
      const rows = compositeRows();
      await withSession(fx, object, async (s) => {
        await s.prepare(schema);
        await s.write(schema, rows);
        // Upsert by the whole tuple: same (tenant, seq) replaces, a new seq under an old tenant adds.
        await s.write(schema, [
          { tenant: 'a', seq: 2, v: 'changed' },
          { tenant: 'a', seq: 3, v: 'new' },
        ]);
        const described = (await s.describe())!;
        expect(described.key).toEqual(['tenant', 'seq']);
        const seen: Row[] = [];
        for (const r of await s.planPartitions(described, 3)) seen.push(...(await readRange(s, schema, r, null, 4)).rows);
        const tuples = seen.map((r) => `${r.tenant}/${r.seq}`);
        expect(tuples.length).toBe(rows.length + 1);
        const want = [...rows.filter((r) => !(r.tenant === 'a' && r.seq === 2)), { tenant: 'a', seq: 2, v: 'changed' }, { tenant: 'a', seq: 3, v: 'new' }];
        expect(sorted(canon(seen, schema))).toEqual(sorted(canon(want, schema)));
        if (fx.ordered) {
          const byTuple = [...want].sort((x, y) => (x.tenant === y.tenant ? (x.seq as number) - (y.seq as number) : x.tenant! < y.tenant! ? -1 : 1));
          expect(tuples).toEqual(byTuple.map((r) => `${r.tenant}/${r.seq}`));
        }
        // a composite cursor resumes after its tuple
        const full = await readRange(s, schema, whole, null, 4);
        const rest = await readRange(s, schema, whole, JSON.parse(JSON.stringify(full.cursors[0])), 4);
        expect(canon(rest.rows, schema)).toEqual(canon(full.rows.slice(4), schema));
      });
    });

    behaviour(fx, 'delete by key', async (object) => {
      const single = seedSchema(object);
      const composite = compositeSchema(`${object}_c`);
      const result = await withSession(fx, object, async (s) => {
        if (!s.deleteKeys) return 'connector lacks delete (repair reports extra rows as not deleted)';
        await s.prepare(single);
        await s.write(single, seedRows(30));
        // Keys as the session's own read gives them back: what repair passes.
        const doomed = (await readRange(s, single, whole, null, 50)).rows.filter((r) => [8, 50, 85].includes(Number(r.id)));
        expect(doomed).toHaveLength(3);
        expect(await s.deleteKeys(single, doomed)).toBe(3);
        await s.deleteKeys(single, doomed); // deleting again changes nothing
        return undefined;
      });
      if (result) return result;
      const left = (await fx.readAll(object, single)).map((r) => Number(r.id)).sort((a, b) => a - b);
      expect(left).toEqual(
        seedRows(30)
          .map((r) => Number(r.id))
          .filter((id) => ![8, 50, 85].includes(id)),
      );
      try {
        await withSession(fx, `${object}_c`, async (s) => {
          await s.prepare(composite);
          await s.write(composite, compositeRows());
          const [victim] = (await readRange(s, composite, whole, null, 50)).rows.filter((r) => r.tenant === 'a' && Number(r.seq) === 2);
          expect(victim).toBeDefined();
          await s.deleteKeys!(composite, [{ tenant: victim!.tenant!, seq: victim!.seq! }]);
          const rest = (await readRange(s, composite, whole, null, 50)).rows.map((r) => `${r.tenant}/${r.seq}`);
          expect(rest.sort()).toEqual(
            compositeRows()
              .filter((r) => !(r.tenant === 'a' && r.seq === 2))
              .map((r) => `${r.tenant}/${r.seq}`)
              .sort(),
          );
        });
      } finally {
        await fx.drop(`${object}_c`).catch(() => undefined);
      }
    });

    behaviour(fx, 'list objects', async (object) => {
      const d = getConnector(fx.type);
      if (!d.list || !d.targetNaming) return 'connector cannot list its objects (a job names each one in objects)';
      const full = fx.endpoint(object) as Record<string, unknown>;
      // The job-level endpoint: the fixture's endpoint without the fields that name one object.
      const namingKeys = Object.keys(d.targetNaming('x'));
      const scope = Object.fromEntries(Object.entries(full).filter(([k]) => !namingKeys.includes(k))) as Endpoint;
      await fx.seed(object, seedSchema(object), seedRows(3));
      await fx.seed(`${object}_b`, seedSchema(`${object}_b`), seedRows(2));
      try {
        const listed = await d.list(scope, fx.connection(), logger);
        const ours = selectObjects(listed, [`*${object}*`]);
        expect(ours.map((o) => o.leaf)).toEqual([object, `${object}_b`]);
        for (const o of ours) {
          const endpoint = d.endpointSchema.parse({ ...scope, ...o.naming });
          expect(d.objectName(endpoint)).toBe(o.name);
          expect({ ...scope, ...d.targetNaming(o.leaf) }).toEqual({ ...scope, ...o.naming });
        }
        expect(listed.some((o) => o.leaf === '_datamigrato_dead_letters')).toBe(false);
        const described = await withSession(fx, `${object}_b`, (s) => s.describe());
        expect(described?.key).toEqual([fx.nativeKey ?? 'id']);
      } finally {
        await fx.drop(`${object}_b`).catch(() => undefined);
      }
    });

    behaviour(fx, 'type torture round trip', async (object) => {
      const full = tortureSchema(object);
      const left = Object.keys(fx.unsupportedFields);
      for (const f of left) console.warn(`SKIPPED ${fx.type} torture field ${f}: ${fx.unsupportedFields[f]}`);
      const schema: ObjectSchema = { ...full, fields: full.fields.filter((f) => !left.includes(f.name)) };
      const rows = tortureRows().map((r) => Object.fromEntries(schema.fields.map((f) => [f.name, r[f.name]!])) as Row);
      const back = await withSession(fx, object, async (s) => {
        await s.prepare(schema);
        const out = await s.write(schema, rows);
        expect(out.rejected.map((r) => r.error)).toEqual([]);
        return (await readRange(s, schema, whole, null, 2)).rows;
      });
      const expected = rows.map((r) => {
        const e: Row = {};
        for (const f of schema.fields) {
          let v: Value = r[f.name] ?? null;
          if (f.name === 'tsz' && typeof v === 'string') v = TSZ_UTC[v]!;
          for (const m of fx.mappings) if (m.type === f.type && v !== null) v = m.expect(v);
          e[f.name] = v;
        }
        return e;
      });
      const byId = new Map(back.map((r) => [String(r.id), r]));
      expect(back).toHaveLength(rows.length);
      for (const want of expected) {
        const got = byId.get(String(want.id));
        expect(got).toBeDefined();
        // field by field, so a failure names the field and shows both spellings
        const diff = schema.fields
          .filter((f) => canonicalValue(got![f.name], f.type) !== canonicalValue(want[f.name], f.type))
          .map((f) => `${f.name}: got ${canonicalValue(got![f.name], f.type).slice(0, 80)} want ${canonicalValue(want[f.name], f.type).slice(0, 80)}`);
        expect(diff).toEqual([]);
      }
    });
  });
}

for (const fx of FIXTURES) if (!ONLY || ONLY.includes(fx.type)) conformance(fx);

afterAll(() => {
  const types = [...results.keys()];
  const cell = (t: string, b: Behaviour) => results.get(t)?.get(b) ?? '-';
  const lines = [`| behaviour | ${types.join(' | ')} |`, `|---|${types.map(() => '---').join('|')}|`];
  for (const b of BEHAVIOURS) lines.push(`| ${b} | ${types.map((t) => cell(t, b)).join(' | ')} |`);
  const mappings = FIXTURES.flatMap((fx) => fx.mappings.map((m) => `  ${fx.type} ${m.type}: ${m.doc}`));
  process.stdout.write(`\nConformance (behaviour × connector)\n${lines.join('\n')}\n\nDocumented type mappings:\n${mappings.join('\n')}\n`);
});
