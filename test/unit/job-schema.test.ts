import { compileJob, EXTRA_FIELD, readSchemaOf } from '../../src/engine/job-schema';
import { parsed } from '../helpers/specs';
import type { ObjectSchema } from '../../src/model/types';
import { keyText } from '../../src/model/keys';

const spec = (extra: Record<string, unknown> = {}) =>
  parsed({
    name: 'j',
    source: { type: 'postgres', connection: { url: { env: 'PG_URL' } }, table: 's' },
    target: { type: 'postgres', connection: { url: { env: 'PG_URL' } }, table: 't' },
    ...extra,
  });

const closed: ObjectSchema = {
  object: 'public.s',
  key: ['tenant', 'id'],
  fields: [
    { name: 'tenant', type: 'int32', nullable: false },
    { name: 'id', type: 'int64', nullable: false },
    { name: 'v', type: 'string', nullable: true },
  ],
};

describe('the schema a job reads and writes', () => {
  test('a closed schema is read as described', () => {
    expect(readSchemaOf(spec(), closed)).toEqual(closed);
  });

  test('an open schema gets the unknown-field policy; json adds the _extra field', () => {
    const open = { ...closed, open: true };
    const json = readSchemaOf(spec(), open);
    expect(json.unknownFields).toEqual({ policy: 'json', field: EXTRA_FIELD });
    expect(json.fields.at(-1)).toEqual({ name: EXTRA_FIELD, type: 'json', nullable: true });
    const drop = readSchemaOf(spec({ onUnknownField: 'drop' }), open);
    expect(drop.unknownFields?.policy).toBe('drop');
    expect(drop.fields).toHaveLength(3);
  });

  test('a source already holding _extra is refused under json', () => {
    const clash = { ...closed, open: true, fields: [...closed.fields, { name: EXTRA_FIELD, type: 'string' as const, nullable: true }] };
    expect(() => readSchemaOf(spec(), clash)).toThrow(/already has a field/);
  });

  test('targetKey replaces the key after the transforms and must name target fields', () => {
    const t = compileJob(spec({ transform: [{ op: 'rename', fields: { id: 'order_id' } }], targetKey: ['order_id', 'tenant'] }), closed);
    expect(t.schema.key).toEqual(['order_id', 'tenant']);
    expect(compileJob(spec({ transform: [{ op: 'rename', fields: { id: 'order_id' } }] }), closed).schema.key).toEqual(['tenant', 'order_id']);
    expect(() => compileJob(spec({ targetKey: ['nope'] }), closed)).toThrow(/targetKey: unknown field\(s\) nope/);
  });

  test('key text: the value for one field, a JSON array for a composite key', () => {
    expect(keyText({ id: 5n }, ['id'])).toBe('5');
    expect(keyText({ tenant: 1, id: 5n }, ['tenant', 'id'])).toBe('[1,"5"]');
    expect(keyText({ tenant: null, id: null }, ['tenant', 'id'])).toBeNull();
  });
});
