/**
 * Exact decimals for expressions: a scaled bigint (coefficient × 10^-scale). The neutral model carries
 * decimals as text; arithmetic on floats would turn 19.99 × 1.2 into 23.987999999999996.
 */
export class Decimal {
  constructor(
    readonly coef: bigint,
    readonly scale: number,
  ) {}

  static parse(text: string): Decimal {
    const m = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(text);
    if (!m || (!m[2] && !m[3])) throw new Error(`not a decimal: ${JSON.stringify(text.slice(0, 40))}`);
    const [, sign, int = '', frac = '', exp = '0'] = m;
    let coef = BigInt(`${int}${frac}` || '0');
    let scale = frac.length - Number(exp);
    if (scale < 0) {
      coef *= 10n ** BigInt(-scale);
      scale = 0;
    }
    return new Decimal(sign === '-' ? -coef : coef, scale);
  }

  static of(v: bigint | number | string | Decimal): Decimal {
    if (v instanceof Decimal) return v;
    if (typeof v === 'bigint') return new Decimal(v, 0);
    if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`not a decimal: ${v}`);
    return Decimal.parse(String(v));
  }

  private rescale(scale: number): bigint {
    return this.coef * 10n ** BigInt(scale - this.scale);
  }

  add(o: Decimal): Decimal {
    const s = Math.max(this.scale, o.scale);
    return new Decimal(this.rescale(s) + o.rescale(s), s);
  }

  sub(o: Decimal): Decimal {
    return this.add(new Decimal(-o.coef, o.scale));
  }

  mul(o: Decimal): Decimal {
    return new Decimal(this.coef * o.coef, this.scale + o.scale);
  }

  /** Division needs a stated scale: the exact quotient may not terminate (1/3). */
  div(o: Decimal, scale: number): Decimal {
    if (o.coef === 0n) throw new Error('decimal division by zero');
    // a/b at `scale` digits = round(a.coef × 10^(scale + b.scale − a.scale) / b.coef)
    const shift = scale + o.scale - this.scale;
    const num = shift >= 0 ? this.coef * 10n ** BigInt(shift) : this.coef;
    const den = shift >= 0 ? o.coef : o.coef * 10n ** BigInt(-shift);
    return new Decimal(roundHalfUp(num, den), scale);
  }

  /** Half away from zero, as SQL's round() does for numeric. */
  round(scale: number): Decimal {
    if (scale >= this.scale) return new Decimal(this.rescale(scale), scale);
    return new Decimal(roundHalfUp(this.coef, 10n ** BigInt(this.scale - scale)), scale);
  }

  compare(o: Decimal): number {
    const s = Math.max(this.scale, o.scale);
    const a = this.rescale(s);
    const b = o.rescale(s);
    return a < b ? -1 : a > b ? 1 : 0;
  }

  toString(): string {
    const neg = this.coef < 0n;
    const digits = (neg ? -this.coef : this.coef).toString().padStart(this.scale + 1, '0');
    const int = digits.slice(0, digits.length - this.scale);
    const frac = this.scale > 0 ? `.${digits.slice(-this.scale)}` : '';
    return `${neg ? '-' : ''}${int}${frac}`;
  }
}

function roundHalfUp(num: bigint, den: bigint): bigint {
  const neg = num < 0n !== den < 0n;
  const n = num < 0n ? -num : num;
  const d = den < 0n ? -den : den;
  const q = (n * 2n + d) / (d * 2n);
  return neg ? -q : q;
}
