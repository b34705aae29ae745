/*
 * Kubernetes resource.Quantity parsing and canonical formatting
 * (k8s.io/apimachinery/pkg/api/resource), in exact milli-units as bigint.
 */
const BINARY: Record<string, bigint> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};
const DECIMAL: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

/** A parsed quantity: value × 10⁻³ in `milli`, and the notation it used. */
export interface Quantity {
  milli: bigint;
  format: 'BinarySI' | 'DecimalSI' | 'DecimalExponent';
}

export const QUANTITY_ERROR =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/** Parses `500m`, `4Gi`, `1.5`, `2e3`; throws Error(QUANTITY_ERROR) otherwise. */
export function parseQuantity(input: string | number): Quantity {
  const text = String(input).trim();
  const m =
    /^([+-]?)([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$/.exec(
      text,
    );
  if (!m) throw new Error(QUANTITY_ERROR);
  const [, sign, num, suffix = ''] = m;
  const [intPart, fracPart = ''] = num.split('.');
  // value = digits × 10^-fracLen × multiplier, kept in milli-units (rounded up like the server)
  const digits = BigInt((intPart || '0') + fracPart);
  let scale = -fracPart.length + 3; // power of ten to reach milli
  let factor = 1n;
  let format: Quantity['format'] = 'DecimalSI';
  if (suffix in BINARY) {
    factor = BINARY[suffix];
    format = 'BinarySI';
  } else if (/^[eE]/.test(suffix)) {
    scale += Number(suffix.slice(1));
    format = 'DecimalExponent';
  } else {
    scale += DECIMAL[suffix];
  }
  let milli: bigint;
  if (scale >= 0) milli = digits * factor * 10n ** BigInt(scale);
  else {
    const div = 10n ** BigInt(-scale);
    const n = digits * factor;
    milli = n / div + (n % div === 0n ? 0n : 1n);
  }
  return { milli: sign === '-' ? -milli : milli, format };
}

/** The canonical string of a quantity, like Quantity.String(). */
export function formatQuantity(q: Quantity): string {
  const { milli } = q;
  if (milli === 0n) return '0';
  const neg = milli < 0n;
  const abs = neg ? -milli : milli;
  const sign = neg ? '-' : '';
  if (q.format === 'BinarySI' && abs % 1000n === 0n) {
    const units = abs / 1000n;
    if (units < 1024n) return `${sign}${units}`;
    const suffixes = Object.entries(BINARY).reverse();
    for (const [s, f] of suffixes) {
      if (units % f === 0n) return `${sign}${units / f}${s}`;
    }
    return `${sign}${units}`;
  }
  // decimal: largest exponent (multiple of 3) that keeps an integer mantissa
  let exp = -3;
  let mant = abs;
  while (mant % 1000n === 0n && exp < 18) {
    mant /= 1000n;
    exp += 3;
  }
  if (q.format === 'DecimalExponent' && exp !== 0) {
    return `${sign}${mant}e${exp}`;
  }
  const suffix = Object.entries(DECIMAL).find(([, e]) => e === exp)![0];
  return `${sign}${mant}${suffix}`;
}

/** Sum of quantities, keeping the notation of the first one. */
export function addQuantities(a: Quantity, b: Quantity): Quantity {
  return { milli: a.milli + b.milli, format: a.format };
}
