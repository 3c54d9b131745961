/**
 * Pieces of the functions generated per column list (copy-rows.ts, copy-lines.ts): field names enter generated
 * source only as JSON string literals. `__proto__` is the one name a literal key or a property read would treat
 * as the prototype: it is written as a computed key and read as an own property.
 */
export const objectKey = (name: string): string => (name === '__proto__' ? `[${JSON.stringify(name)}]` : JSON.stringify(name));

export const propertyRead = (row: string, name: string): string =>
  name === '__proto__' ? `Object.getOwnPropertyDescriptor(${row}, "__proto__")?.value` : `${row}[${JSON.stringify(name)}]`;

/** A function compiled from generated source, given the values its free names stand for. */
export function compileGenerated<F>(params: Record<string, unknown>, source: string): F {
  // Safe to compile: the source quotes every field name as a JSON literal; nothing else in it comes from data.
  return new Function(...Object.keys(params), source)(...Object.values(params)) as F;
}
