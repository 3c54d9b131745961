import { getConnector } from '../../src/connectors/registry';
import type { ConnectorSession } from '../../src/connectors/contract';
import { logger } from '../../src/logging';
import type { ObjectSchema, Row } from '../../src/model/types';
import { createTable, dropTable, dynamoConnection, dynamoConnectionSpec, dynamoEndpoint, dynamoUp, putItems, scanAll, withDynamo } from '../helpers/dynamodb';
import { uniqueSuffix } from '../helpers/env';

const open = async (table: string, extra: Record<string, unknown> = {}): Promise<ConnectorSession> => {
  const d = getConnector('dynamodb');
  return d.open(
    d.endpointSchema.parse({ type: 'dynamodb', connection: dynamoConnectionSpec(), table, ...extra }),
    dynamoConnection(),
    logger.child({ test: 'dynamodb' }),
  );
};

const readAll = async (s: ConnectorSession, schema: ObjectSchema) => {
  const out = { rows: [] as Row[], rejected: [] as { row: Row; error: string }[], dropped: 0 };
  for (const r of await s.planPartitions(schema, 2))
    for await (const b of s.read(schema, r, null, 50)) {
      out.rows.push(...b.rows);
      out.rejected.push(...(b.rejected ?? []));
      out.dropped += b.droppedFields ?? 0;
    }
  return out;
};

describe('dynamodb connector against dynalite', () => {
  let up = false;
  const tables: string[] = [];
  beforeAll(async () => {
    up = await dynamoUp();
    if (!up) console.warn(`SKIPPED: no DynamoDB API server at ${dynamoEndpoint} (bash scripts/stack.sh up dynamodb)`);
  });
  afterAll(async () => {
    if (up) await withDynamo(async (c) => Promise.all(tables.map((t) => dropTable(c, t))));
  });
  const table = () => {
    const t = `ddb_conn_${uniqueSuffix()}`;
    tables.push(t);
    return t;
  };

  test('target: an item over 400 KB, a 39-digit decimal and a null key are rejected before sending; emoji/RTL text, duplicates in one batch (last wins)', async () => {
    if (!up) return;
    const t = table();
    const schema: ObjectSchema = {
      object: t,
      key: ['id'],
      fields: [
        { name: 'id', type: 'int64', nullable: false },
        { name: 'text', type: 'string', nullable: true },
        { name: 'amount', type: 'decimal', nullable: true },
      ],
    };
    const s = await open(t);
    try {
      await s.prepare(schema);
      const rows: Row[] = [
        { id: 1n, text: 'emoji 🙂👍🏽 and RTL: שלום עולם مرحبا', amount: '1.5' },
        { id: 2n, text: 'x'.repeat(400 * 1024), amount: null },
        { id: 3n, text: 'ok', amount: '123456789012345678901234567890123456789' },
        { id: null, text: 'no key', amount: null },
        { id: 4n, text: 'first', amount: '0' },
        { id: 4n, text: 'second', amount: '0' },
      ];
      const out = await s.write(schema, rows);
      expect(out.written).toBe(2);
      expect(out.rejected.map((r) => [r.row.id, r.error.slice(0, 120)])).toEqual([
        [2n, expect.stringMatching(/^item of \d+ bytes exceeds 409600/)],
        [3n, expect.stringMatching(/39 significant digits/)],
        [null, expect.stringMatching(/key attribute id is null/)],
      ]);
      const items = await withDynamo((c) => scanAll(c, t));
      expect(items.find((i) => i.id!.N === '4')!.text).toEqual({ S: 'second' });
      expect(items.find((i) => i.id!.N === '1')!.text!.S).toBe('emoji 🙂👍🏽 and RTL: שלום עולם مرحبا');
    } finally {
      await s.close();
    }
  });

  test('source: reserved-word attribute names projected; unknown fields under json, drop and reject; an attribute of another type is a rejected record', async () => {
    if (!up) return;
    const t = table();
    await withDynamo(async (c) => {
      await createTable(c, t, [['id', 'S']]);
      await putItems(c, t, [
        ...Array.from({ length: 20 }, (_, i) => ({
          id: { S: `k${i}` },
          name: { S: `n${i}` },
          status: { S: 'ok' },
          size: { N: String(i) },
          data: { M: { a: { N: '1' } } },
        })),
        { id: { S: 'odd' }, name: { S: 'odd' }, status: { S: 'ok' }, size: { S: 'huge' }, data: { M: {} }, surprise: { BOOL: true } },
      ]);
    });
    const s = await open(t, { sampleSize: 20 });
    try {
      const described = (await s.describe())!;
      expect(described.open).toBe(true);
      expect(described.key).toEqual(['id']);
      const sizeField = described.fields.find((x) => x.name === 'size')!;
      // the sample (Scan order) may or may not include the odd item: size is int32 or json
      const closed = {
        ...described,
        fields: described.fields.filter((x) => x.name !== 'surprise').map((x) => (x.name === 'size' ? { ...x, type: 'int32' as const } : x)),
      };
      const plain = await readAll(s, closed);
      expect(plain.rows.length + plain.rejected.length).toBe(21);
      expect(plain.rejected.map((r) => r.error)).toEqual([expect.stringMatching(/size: a S attribute where the schema says int32/)]);
      expect(plain.rows.find((r) => r.id === 'k3')).toEqual({ id: 'k3', name: 'n3', status: 'ok', size: 3, data: { a: 1 } });

      const json = await readAll(s, {
        ...closed,
        fields: [...closed.fields.filter((x) => x.name !== 'surprise'), { name: '_extra', type: 'json', nullable: true }],
        unknownFields: { policy: 'json', field: '_extra' },
      });
      expect(json.rows.find((r) => r.id === 'k1')!._extra).toBeNull();
      const drop = await readAll(s, {
        ...closed,
        fields: closed.fields.filter((x) => x.name !== 'surprise'),
        unknownFields: { policy: 'drop', field: '_extra' },
      });
      const reject = await readAll(s, {
        ...closed,
        fields: closed.fields.filter((x) => x.name !== 'surprise'),
        unknownFields: { policy: 'reject', field: '_extra' },
      });
      expect(drop.dropped).toBe(0); // the odd item is rejected for its size attribute first
      expect(reject.rejected).toHaveLength(1);
      expect(sizeField.nativeOf).toBe('dynamodb');
    } finally {
      await s.close();
    }
  });
});
