/**
 * Kubernetes resource quantities (`8`, `500m`, `1k`, `16Gi`, `1e3`).
 * Grammar from k8s.io/apimachinery/pkg/api/resource.
 */
const QUANTITY =
  /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

const MULTIPLIERS: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/**
 * True when `value` is a valid Kubernetes quantity string.
 *
 * @public
 */
export function isQuantity(value: string): boolean {
  return QUANTITY.test(value);
}

/**
 * Parses a quantity into a number of base units. Numbers pass through;
 * anything unparseable gives undefined rather than NaN so callers decide.
 *
 * @public
 */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value === 'number')
    return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = QUANTITY.exec(value.trim());
  if (!match) return undefined;
  const [, number, suffix] = match;
  const base = Number(number);
  if (!suffix) return base;
  if (suffix[0] === 'e' || suffix[0] === 'E') {
    return base * 10 ** Number(suffix.slice(1));
  }
  return base * MULTIPLIERS[suffix];
}

/**
 * Devices of an extended resource such as `nvidia.com/gpu`. Kubernetes only
 * allows whole devices, so fractions (never valid, but seen in hand-edited
 * objects) round down; negative or unparseable values count as 0.
 *
 * @public
 */
export function parseDeviceCount(value: unknown): number {
  const n = parseQuantity(value);
  if (n === undefined || n <= 0) return 0;
  return Math.floor(n + 1e-9);
}
