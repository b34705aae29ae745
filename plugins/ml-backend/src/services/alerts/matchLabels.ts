import { LabelMatcher } from '@mlplatform/plugin-ml-common';

const regexCache = new Map<string, RegExp>();

function anchored(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (!re) {
    // Prometheus regex matchers are fully anchored.
    re = new RegExp(`^(?:${pattern})$`, 'u');
    regexCache.set(pattern, re);
  }
  return re;
}

/**
 * True when the labels satisfy every matcher, with Prometheus semantics: a
 * missing label has the empty value, and regexes match the whole value.
 *
 * @throws SyntaxError for a regex JavaScript cannot compile.
 * @internal
 */
export function matchesLabels(
  matchers: LabelMatcher[],
  labels: Record<string, string>,
): boolean {
  return matchers.every(({ name, op, value }) => {
    const actual = labels[name] ?? '';
    switch (op) {
      case '=':
        return actual === value;
      case '!=':
        return actual !== value;
      case '=~':
        return anchored(value).test(actual);
      case '!~':
        return !anchored(value).test(actual);
      default:
        return false;
    }
  });
}
