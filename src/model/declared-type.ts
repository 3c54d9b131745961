import { toDecimalText } from './values';
import type { FieldType, Value } from './types';

/**
 * A value a driver returned, already in its own neutral form (`neutral`), brought to the neutral form of
 * the field's declared type: stores that keep numbers loosely (a Long in an int32 column, an integer in a
 * decimal field) or only have timestamps (a date read back as a Date) converge here. Values of another
 * type pass through: the target accepts or rejects them.
 */
export function toDeclaredType(neutral: Value, raw: unknown, type: FieldType): Value {
  switch (type) {
    case 'int64':
      return typeof neutral === 'number' && Number.isInteger(neutral) ? BigInt(neutral) : neutral;
    case 'int32':
    case 'float64':
      return typeof neutral === 'bigint' ? Number(neutral) : neutral;
    case 'decimal':
      return typeof neutral === 'bigint' || typeof neutral === 'number' ? toDecimalText(neutral) : neutral;
    case 'timestamp':
      return raw instanceof Date && typeof neutral === 'string' ? neutral.replace(/Z$/, '') : neutral;
    case 'date':
      return raw instanceof Date && typeof neutral === 'string' ? neutral.slice(0, 10) : neutral;
    default:
      return neutral;
  }
}
