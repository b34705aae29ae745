import { ModelVersion } from '@mlplatform/plugin-ml-common';
import { formatNumber } from '../Health/format';

/** One metric compared between the alias' current version and the new one. */
export interface MetricChange {
  name: string;
  from?: number;
  to?: number;
  /** `▲` higher, `▼` lower, `=` equal, `` when one side lacks the metric. */
  arrow: '▲' | '▼' | '=' | '';
  text: string;
}

/**
 * Metric by metric, what moving an alias from `from` (the version holding it
 * now, if any) to `to` changes, e.g. `auc 0.95 → 0.97 ▲`.
 */
export function metricDiff(
  from: ModelVersion | undefined,
  to: ModelVersion,
): MetricChange[] {
  const names = [
    ...new Set([
      ...Object.keys(from?.metrics ?? {}),
      ...Object.keys(to.metrics),
    ]),
  ].sort();
  return names.map(name => {
    const a = from?.metrics[name];
    const b = to.metrics[name];
    let arrow: MetricChange['arrow'] = '';
    if (a !== undefined && b !== undefined) {
      if (b > a) arrow = '▲';
      else if (b < a) arrow = '▼';
      else arrow = '=';
    }
    const show = (v: number | undefined) =>
      v === undefined ? '—' : formatNumber(v, 4);
    const text = from
      ? `${name} ${show(a)} → ${show(b)}${arrow ? ` ${arrow}` : ''}`
      : `${name} ${show(b)}`;
    return { name, from: a, to: b, arrow, text };
  });
}

/** Aliases to offer: the model's own, then `production` and `staging`. */
export function aliasChoices(versions: ModelVersion[]): string[] {
  return [
    ...new Set([...versions.flatMap(v => v.aliases), 'production', 'staging']),
  ];
}
