import { createHash } from 'node:crypto';
import type { Environment } from '@marcbachmann/cel-js';
import { Decimal } from './decimal';

/**
 * The functions expressions may call beyond CEL's own (size, contains, matches, substring, timestamp,
 * int(), string()…). All pure and deterministic: validation re-runs them on the source side and must
 * get the same values the copy wrote, so there is no now().
 */

const TS = 'google.protobuf.Timestamp';

/** Local calendar date and time of an instant in an IANA zone, e.g. "2024-03-01T00:30:00". */
function localDateTime(t: Date, zone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(t);
  const p = Object.fromEntries(parts.map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})/;

function dateParts(text: string): [number, number, number] {
  const m = DATE.exec(text);
  if (!m) throw new Error(`not a date (YYYY-MM-DD): ${JSON.stringify(text.slice(0, 30))}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** Whole years from a birth date to the local date of `asOf` in `zone` (a birthday on 29 Feb counts from 1 Mar). */
function age(birth: string, asOf: Date, zone: string): bigint {
  const [by, bm, bd] = dateParts(birth);
  const [y, m, d] = dateParts(localDateTime(asOf, zone));
  return BigInt(y - by - (m < bm || (m === bm && d < bd) ? 1 : 0));
}

const hash = (algo: string) => (v: string | Uint8Array) => createHash(algo).update(v).digest('hex');
const dec = (v: bigint | number | string | Decimal) => Decimal.of(v);
const scaleOf = (n: bigint) => {
  if (n < 0n || n > 100n) throw new Error(`decimal scale must be 0..100, got ${n}`);
  return Number(n);
};

export function registerLibrary(env: Environment): Environment {
  env.registerType('decimal', Decimal);
  for (const from of ['string', 'int', 'double', 'decimal']) env.registerFunction(`decimal(${from}): decimal`, dec);
  for (const [op, fn] of [
    ['+', (a: Decimal, b: Decimal) => a.add(b)],
    ['-', (a: Decimal, b: Decimal) => a.sub(b)],
    ['*', (a: Decimal, b: Decimal) => a.mul(b)],
  ] as const) {
    env.registerOperator(`decimal ${op} decimal`, fn);
    env.registerOperator(`decimal ${op} int`, (a: Decimal, b: bigint) => fn(a, dec(b)));
    env.registerOperator(`int ${op} decimal`, (a: bigint, b: Decimal) => fn(dec(a), b));
  }
  for (const [op, test] of [
    ['<', (c: number) => c < 0],
    ['<=', (c: number) => c <= 0],
    ['>', (c: number) => c > 0],
    ['>=', (c: number) => c >= 0],
  ] as const)
    env.registerOperator(`decimal ${op} decimal`, (a: Decimal, b: Decimal) => test(a.compare(b)));
  env.registerFunction('divide(decimal, decimal, int): decimal', (a: Decimal, b: Decimal, s: bigint) => a.div(b, scaleOf(s)));
  env.registerFunction('round(decimal, int): decimal', (a: Decimal, s: bigint) => a.round(scaleOf(s)));
  env.registerFunction('round(double, int): double', (a: number, s: bigint) => Number(Decimal.of(a).round(scaleOf(s)).toString()));
  env.registerFunction('text(decimal): string', (a: Decimal) => a.toString());
  env.registerFunction('abs(int): int', (a: bigint) => (a < 0n ? -a : a));
  env.registerFunction('abs(double): double', (a: number) => Math.abs(a));

  env.registerFunction('lower(string): string', (s: string) => s.toLowerCase());
  env.registerFunction('upper(string): string', (s: string) => s.toUpperCase());
  env.registerFunction('trim(string): string', (s: string) => s.trim());
  env.registerFunction('replace(string, string, string): string', (s: string, re: string, by: string) => s.replace(new RegExp(re, 'gu'), by));

  env.registerFunction(`localDate(${TS}, string): string`, (t: Date, z: string) => localDateTime(t, z).slice(0, 10));
  env.registerFunction(`localDateTime(${TS}, string): string`, localDateTime);
  env.registerFunction(`age(string, ${TS}, string): int`, age);

  env.registerFunction('sha256(string): string', hash('sha256'));
  env.registerFunction('sha256(bytes): string', hash('sha256'));
  env.registerFunction('md5(string): string', hash('md5'));

  env.registerFunction('coalesce(dyn, dyn): dyn', (a: unknown, b: unknown) => a ?? b);
  env.registerFunction('coalesce(dyn, dyn, dyn): dyn', (a: unknown, b: unknown, c: unknown) => a ?? b ?? c);
  env.registerFunction('coalesce(dyn, dyn, dyn, dyn): dyn', (a: unknown, b: unknown, c: unknown, d: unknown) => a ?? b ?? c ?? d);
  return env;
}
