import type { MigrationReport } from '../../workflows/types';
import { uniqueSuffix } from '../helpers/env';
import { countRows, createMixedSource, createSimpleSource, ensureSchema, pgQuery, rowDiff } from '../helpers/pg';
import { parsed, pgSpec } from '../helpers/specs';
import { startHarness, type TemporalHarness } from '../helpers/temporal';

const SCHEMA = 'dm_test';

/** `passthrough: true` moves COPY text from source to target unparsed; these check it loses and bends nothing. */
describe('PostgreSQL → PostgreSQL passthrough (COPY text, rows never parsed)', () => {
  let h: TemporalHarness;
  const mixed = `pt_mixed_${uniqueSuffix()}`;
  const simple = `pt_simple_${uniqueSuffix()}`;
  const texty = `pt_text_${uniqueSuffix()}`;
  const composite = `pt_comp_${uniqueSuffix()}`;

  beforeAll(async () => {
    h = await startHarness('passthrough');
    await ensureSchema(SCHEMA);
    await createMixedSource(SCHEMA, mixed, 50_000);
    await createSimpleSource(SCHEMA, simple, 10_000);
    // Keys with every character COPY text escapes (tab, newline, CR, backslash) plus quotes and non-ASCII:
    // the keyset cursor is read back out of the COPY text, so a wrong unescape skips or repeats rows.
    await pgQuery(`CREATE TABLE ${SCHEMA}.${texty} (k text PRIMARY KEY, n integer NOT NULL)`);
    await pgQuery(
      `INSERT INTO ${SCHEMA}.${texty} SELECT (ARRAY[E'a\\tb', E'c\\nd', E'e\\\\f', E'g\\rh', 'it''s', 'ünï "q"', '日本'])[1 + g % 7] || '-' || lpad(g::text, 5, '0'), g
         FROM generate_series(1, 3000) g`,
    );
    await pgQuery(`ANALYZE ${SCHEMA}.${texty}`);
    // A composite key whose second column is text with COPY escapes: the tuple cursor is read back from COPY text.
    await pgQuery(`CREATE TABLE ${SCHEMA}.${composite} (tenant integer, code text, n integer NOT NULL, PRIMARY KEY (tenant, code))`);
    await pgQuery(
      `INSERT INTO ${SCHEMA}.${composite} SELECT t, (ARRAY[E'a\\tb', E'c\\nd', 'x'])[1 + c % 3] || lpad(c::text, 4, '0'), t * c
         FROM generate_series(1, 40) t, generate_series(1, 250) c`,
    );
    await pgQuery(`ANALYZE ${SCHEMA}.${composite}`);
  }, 180_000);
  afterAll(async () => {
    await h?.stop();
    await pgQuery(`DROP TABLE IF EXISTS ${SCHEMA}.${mixed}, ${SCHEMA}.${simple}, ${SCHEMA}.${texty}, ${SCHEMA}.${composite}`);
  });

  const run = (spec: ReturnType<typeof parsed>): Promise<MigrationReport> =>
    h.client.workflow.execute('migrationWorkflow', { taskQueue: h.taskQueue, workflowId: `pt-${spec.name}`, args: [{ spec }] });

  test('50k mixed-type rows (numeric, timestamptz, jsonb, bytea, text[], unicode, nulls) arrive exactly', async () => {
    const tgt = `pt_mixed_tgt_${uniqueSuffix()}`;
    const report = await run(parsed(pgSpec(`pt-${tgt}`, mixed, tgt, { passthrough: true, batchSize: 3000 })));
    expect(report.status).toBe('completed');
    expect(report.rows).toBe(50_000);
    expect(report.copyDigest).toBeNull();
    expect(report.validation).toMatchObject({ status: 'match', source: { count: 50_000 }, target: { count: 50_000 } });
    expect(await rowDiff(`${SCHEMA}.${mixed}`, `${SCHEMA}.${tgt}`)).toEqual({ onlyA: 0, onlyB: 0 });
  }, 300_000);

  test('text keys with escaped characters page correctly across many small batches and percentile partitions', async () => {
    const tgt = `pt_text_tgt_${uniqueSuffix()}`;
    const report = await run(parsed(pgSpec(`pt-${tgt}`, texty, tgt, { passthrough: true, batchSize: 97, partitions: 4 })));
    expect(report.partitions.length).toBeGreaterThan(1);
    expect(report.rows).toBe(3_000);
    expect(report.validation).toMatchObject({ status: 'match' });
    expect(await rowDiff(`${SCHEMA}.${texty}`, `${SCHEMA}.${tgt}`)).toEqual({ onlyA: 0, onlyB: 0 });
  }, 300_000);

  test.each([
    ['rows', false],
    ['passthrough', true],
  ])(
    'a composite primary key (tenant, code) pages by the tuple across small batches and leading-column partitions (%s)',
    async (_p, passthrough) => {
      const tgt = `pt_comp_tgt_${uniqueSuffix()}`;
      const report = await run(parsed(pgSpec(`pt-${tgt}`, composite, tgt, { passthrough, batchSize: 97, partitions: 4 })));
      expect(report.partitions.length).toBe(4);
      expect(report.rows).toBe(10_000);
      expect(report.validation).toMatchObject({ status: 'match', source: { count: 10_000 } });
      expect(await rowDiff(`${SCHEMA}.${composite}`, `${SCHEMA}.${tgt}`)).toEqual({ onlyA: 0, onlyB: 0 });
      const pk = await pgQuery<{ col: string }>(
        `SELECT a.attname AS col FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = '${SCHEMA}.${tgt}'::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`,
      );
      expect(pk.map((r) => r.col)).toEqual(['tenant', 'code']);
    },
    300_000,
  );

  test('a batch the target refuses is re-read as rows: bad records are quarantined one by one, the rest arrive', async () => {
    const tgt = `pt_picky_${uniqueSuffix()}`;
    await pgQuery(`CREATE TABLE ${SCHEMA}.${tgt} (id bigint PRIMARY KEY, n integer NOT NULL CHECK (n <> 7), payload text)`);
    const spec = parsed({ ...pgSpec(`pt-${tgt}`, simple, tgt, { passthrough: true, batchSize: 500 }), onRecordError: 'quarantine' });
    const report = await run(spec);
    expect(report.rows).toBe(9_990);
    expect(report.quarantined).toBe(10);
    expect(await countRows(`${SCHEMA}.${tgt}`)).toBe(9_990);
    const dead = await pgQuery<{ record_key: string }>(
      `SELECT record_key FROM ${SCHEMA}._datamigrato_dead_letters WHERE job = $1 ORDER BY record_key::bigint`,
      [spec.name],
    );
    expect(dead.map((d) => d.record_key)).toEqual(['7', '1007', '2007', '3007', '4007', '5007', '6007', '7007', '8007', '9007']);
  }, 300_000);
});
