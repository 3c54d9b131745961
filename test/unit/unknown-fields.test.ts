import { applyUnknownFields } from '../../src/model/unknown-fields';
import type { Row } from '../../src/model/types';

describe('applyUnknownFields: the one onUnknownField switch every schemaless reader uses', () => {
  const record: Record<string, unknown> = { a: 1, x: { deep: true }, y: 'z' };
  const jsonOf = (k: string) => record[k] as Row[string];

  test('json: carried in the policy field (null when none); nothing dropped or rejected', () => {
    const row: Row = { a: 1 };
    expect(applyUnknownFields({ policy: 'json', field: '_extra' }, row, ['x', 'y'], jsonOf)).toEqual({ dropped: 0 });
    expect(row).toEqual({ a: 1, _extra: { x: { deep: true }, y: 'z' } });
    const none: Row = { a: 1 };
    applyUnknownFields({ policy: 'json', field: '_extra' }, none, [], jsonOf);
    expect(none).toEqual({ a: 1, _extra: null });
  });

  test('drop: counted, the row untouched; reject: an error naming the fields, only when there are any', () => {
    const row: Row = { a: 1 };
    expect(applyUnknownFields({ policy: 'drop', field: '_extra' }, row, ['x', 'y'], jsonOf)).toEqual({ dropped: 2 });
    expect(row).toEqual({ a: 1 });
    expect(applyUnknownFields({ policy: 'reject', field: '_extra' }, row, ['x', 'y'], jsonOf)).toEqual({
      dropped: 0,
      rejected: 'unknown field(s) x, y (onUnknownField: reject)',
    });
    expect(applyUnknownFields({ policy: 'reject', field: '_extra' }, row, [], jsonOf)).toEqual({ dropped: 0 });
    expect(applyUnknownFields(undefined, row, ['x'], jsonOf)).toEqual({ dropped: 0 });
    expect(row).toEqual({ a: 1 });
  });
});
