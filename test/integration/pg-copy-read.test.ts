import { Client } from 'pg';
import { getConnector } from '../../src/connectors/registry';
import type { ConnectorSession } from '../../src/connectors/contract';
import { neutralTypeParsers } from '../../src/connectors/postgres/types';
import { logger } from '../../src/logging';
import { carryEncoded, ENCODED } from '../../src/model/encoded';
import type { Row } from '../../src/model/types';
import { env, uniqueSuffix } from '../helpers/env';
import { createMixedSource, ensureSchema, pgQuery } from '../helpers/pg';

const SCHEMA = 'dm_copy_read';
const ROWS = 3000;

async function open(table: string): Promise<ConnectorSession> {
  const d = getConnector('postgres');
  const endpoint = d.endpointSchema.parse({ type: 'postgres', connection: { url: { env: 'PG_URL' } }, schema: SCHEMA, table });
  return d.open(endpoint, { url: env.pgUrl }, logger.child({ test: 'pg-copy-read' }));
}

/** The same table through the row protocol with the session's own type parsers and settings: what `read` gave before COPY. */
async function rowProtocol(table: string): Promise<Row[]> {
  const c = new Client({ connectionString: env.pgUrl, options: '-c TimeZone=UTC -c DateStyle=ISO', types: neutralTypeParsers });
  await c.connect();
  try {
    return (await c.query(`SELECT * FROM "${SCHEMA}"."${table}" ORDER BY id`)).rows as Row[];
  } finally {
    await c.end();
  }
}

async function readAll(session: ConnectorSession, batchSize: number): Promise<Row[]> {
  const schema = (await session.describe())!;
  const out: Row[] = [];
  for await (const batch of session.read(schema, { id: 0, lower: null, upper: null }, null, batchSize)) out.push(...batch.rows);
  return out;
}

describe('PostgreSQL read: pages as COPY text, parsed into rows', () => {
  const table = `mixed_${uniqueSuffix()}`;
  beforeAll(async () => {
    await ensureSchema(SCHEMA);
    await createMixedSource(SCHEMA, table, ROWS);
    // Values COPY text must escape and unescape: tab, newline, CR, backslashes, a literal \N, empty strings.
    await pgQuery(
      `UPDATE "${SCHEMA}"."${table}" SET label = CASE id % 6 WHEN 0 THEN E'a\\tb' WHEN 1 THEN E'line1\\nline2\\r' WHEN 2 THEN E'back\\\\slash \\\\N' WHEN 3 THEN '\\N' WHEN 4 THEN '' ELSE label END WHERE id <= 60`,
    );
  }, 120_000);

  test(`${ROWS} rows of 13 types read exactly as the row protocol reads them, across pages of 7`, async () => {
    const session = await open(table);
    try {
      const viaCopy = await readAll(session, 7);
      const viaRows = await rowProtocol(table);
      expect(viaCopy).toHaveLength(ROWS);
      expect(viaCopy).toEqual(viaRows);
      // Spot checks of the hard cases, so a change in both paths at once cannot pass unseen.
      const byId = new Map(viaCopy.map((r) => [String(r.id), r]));
      expect(byId.get('6')!.label).toBe('a\tb');
      expect(byId.get('1')!.label).toBe('line1\nline2\r');
      expect(byId.get('2')!.label).toBe('back\\slash \\N');
      expect(byId.get('3')!.label).toBe('\\N');
      expect(byId.get('4')!.label).toBe('');
      expect(byId.get('11')!.amount).toBeNull();
      expect(typeof byId.get('5')!.id).toBe('bigint');
      expect(Buffer.isBuffer(byId.get('5')!.payload)).toBe(true);
    } finally {
      await session.close();
    }
  }, 120_000);

  test('encoded fields: read leaves them as COPY text, write puts that text into another table, and the rows are equal', async () => {
    const copy = `enc_${uniqueSuffix()}`;
    await pgQuery(`CREATE TABLE "${SCHEMA}"."${copy}" (LIKE "${SCHEMA}"."${table}" INCLUDING ALL)`);
    const [source, target] = [await open(table), await open(copy)];
    try {
      const schema = (await source.describe())!;
      const others = schema.fields.map((f) => f.name).filter((n) => !schema.key.includes(n));
      // The target's columns have the source's types: every non-key field may travel as text.
      expect(await target.encodedFields!(schema, others)).toEqual(others);
      for await (const batch of source.read(schema, { id: 0, lower: null, upper: null }, null, 500, others)) {
        expect(Object.keys(batch.rows[0]!)).toEqual(schema.key); // only the key was decoded
        expect((await target.write(schema, batch.rows, others)).rejected).toEqual([]);
      }
      expect(await rowProtocol(copy)).toEqual(await rowProtocol(table));
    } finally {
      await Promise.all([source.close(), target.close()]);
    }
  }, 120_000);

  test('encoded fields: a column of another type than the schema says is not given the text; a rejected row comes back decoded', async () => {
    const picky = `picky_${uniqueSuffix()}`;
    await pgQuery(`CREATE TABLE "${SCHEMA}"."${picky}" (id bigint PRIMARY KEY, n integer CHECK (n <> 7), note text, doc jsonb)`);
    const target = await open(picky);
    try {
      const schema = {
        object: picky,
        key: ['id'],
        fields: [
          { name: 'id', type: 'int64' as const, nullable: false },
          { name: 'n', type: 'int32' as const, nullable: true },
          { name: 'note', type: 'string' as const, nullable: true },
          { name: 'doc', type: 'decimal' as const, nullable: true }, // the column is jsonb
        ],
      };
      expect(await target.encodedFields!(schema, ['n', 'note', 'doc'])).toEqual(['n', 'note']);
      const rows: Row[] = [6, 7, 8].map((n) => ({ id: BigInt(n), doc: null }));
      rows.forEach((r, i) => carryEncoded({ [ENCODED]: `${6 + i}\ttab\\there` } as unknown as Row, r));
      const outcome = await target.write(schema, rows, ['n', 'note']);
      expect(outcome.rejected.map((r) => r.row)).toEqual([{ id: 7n, doc: null, n: 7, note: 'tab\there' }]);
      expect(await pgQuery(`SELECT id::int, n, note FROM "${SCHEMA}"."${picky}" ORDER BY id`)).toEqual([
        { id: 6, n: 6, note: 'tab\there' },
        { id: 8, n: 8, note: 'tab\there' },
      ]);
    } finally {
      await target.close();
    }
  }, 60_000);

  test('a column whose type differs from the schema read with is parsed by its own type (a target read for validation)', async () => {
    const other = `other_${uniqueSuffix()}`;
    await pgQuery(`CREATE TABLE "${SCHEMA}"."${other}" (id bigint PRIMARY KEY, n numeric)`);
    await pgQuery(`INSERT INTO "${SCHEMA}"."${other}" VALUES (1, 5.00), (2, NULL)`);
    const session = await open(other);
    try {
      const expected = {
        object: other,
        key: ['id'],
        fields: [
          { name: 'id', type: 'int64' as const, nullable: false },
          { name: 'n', type: 'int64' as const, nullable: true },
        ],
      };
      const rows: Row[] = [];
      for await (const b of session.read(expected, { id: 0, lower: null, upper: null }, null, 10)) rows.push(...b.rows);
      expect(rows).toEqual([
        { id: 1n, n: '5.00' },
        { id: 2n, n: null },
      ]);
    } finally {
      await session.close();
    }
  });
});
