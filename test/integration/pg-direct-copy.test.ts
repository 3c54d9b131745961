import { getConnector } from '../../src/connectors/registry';
import { logger } from '../../src/logging';
import type { ConnectorSession } from '../../src/connectors/contract';
import type { ObjectSchema, Row } from '../../src/model/types';
import { env, uniqueSuffix } from '../helpers/env';
import { ensureSchema, pgQuery } from '../helpers/pg';

const SCHEMA = 'wt_i11_direct';

async function open(table: string): Promise<ConnectorSession> {
  const d = getConnector('postgres');
  const endpoint = d.endpointSchema.parse({ type: 'postgres', connection: { url: { env: 'PG_URL' } }, schema: SCHEMA, table });
  return d.open(endpoint, { url: env.pgUrl }, logger.child({ test: 'pg-direct-copy' }));
}

const schema: ObjectSchema = {
  object: 't',
  key: ['id'],
  fields: [
    { name: 'id', type: 'int64', nullable: false },
    { name: 'v', type: 'string', nullable: true },
  ],
};
const rows = (from: number, to: number, v: string): Row[] => Array.from({ length: to - from + 1 }, (_, i) => ({ id: BigInt(from + i), v: `${v}${from + i}` }));

/**
 * The COPY target writes batches straight into the table until one meets a key already there; that batch and
 * the later ones go through the staged upsert. Either way the result must be an upsert: new rows in, old ones
 * overwritten, nothing twice.
 */
describe('postgres target: direct COPY, upsert once a key is already there', () => {
  beforeAll(() => ensureSchema(SCHEMA));

  test('a fresh session over existing rows overwrites them (the re-read batch after a crash), later batches too', async () => {
    const table = `direct_${uniqueSuffix()}`;
    const first = await open(table);
    try {
      await first.prepare(schema);
      expect((await first.write(schema, rows(1, 1000, 'a'))).written).toBe(1000); // direct COPY into the empty table
    } finally {
      await first.close();
    }
    const second = await open(table);
    try {
      // 501..1000 are there already: the direct COPY fails as a whole and the batch is upserted.
      expect((await second.write(schema, rows(501, 1500, 'b'))).written).toBe(1000);
      expect((await second.write(schema, rows(1400, 2000, 'c'))).written).toBe(601);
    } finally {
      await second.close();
    }
    const got = await pgQuery<{ n: string; a: string; b: string; c: string; ids: string }>(
      `SELECT count(*) AS n, count(*) FILTER (WHERE v LIKE 'a%') AS a, count(*) FILTER (WHERE v LIKE 'b%') AS b,
              count(*) FILTER (WHERE v LIKE 'c%') AS c, count(DISTINCT id) AS ids FROM ${SCHEMA}.${table}`,
    );
    expect(got[0]).toEqual({ n: '2000', a: '500', b: '899', c: '601', ids: '2000' });
    expect((await pgQuery(`SELECT v FROM ${SCHEMA}.${table} WHERE id = 700`))[0]).toEqual({ v: 'b700' });
    await pgQuery(`DROP TABLE ${SCHEMA}.${table}`);
  });

  test('a bad value in a direct COPY still isolates the one row (data errors go row by row)', async () => {
    const table = `direct_bad_${uniqueSuffix()}`;
    const s = await open(table);
    try {
      await s.prepare({ ...schema, fields: [...schema.fields, { name: 'n', type: 'int32', nullable: true }] });
      await pgQuery(`ALTER TABLE ${SCHEMA}.${table} ADD CHECK (n <> 7)`);
      const batch = rows(1, 20, 'x').map((r, i) => ({ ...r, n: i }));
      const out = await s.write({ ...schema, fields: [...schema.fields, { name: 'n', type: 'int32', nullable: true }] }, batch);
      expect(out.written).toBe(19);
      expect(out.rejected.map((r) => r.row.id)).toEqual([8n]);
    } finally {
      await s.close();
    }
    await pgQuery(`DROP TABLE ${SCHEMA}.${table}`);
  });
});
