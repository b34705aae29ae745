import { ModelHealthPoint } from '@mlplatform/plugin-ml-common';

/** Query parameters that open the Logs card on a time window. */
export const LOGS_WINDOW_PARAMS = { start: 'logsStart', end: 'logsEnd' };

/** Anchor of the Logs card on the entity page. */
export const LOGS_CARD_ID = 'ml-logs';

/** A time window, ISO 8601 both ends. */
export interface LogsWindow {
  start: string;
  end: string;
}

/** The window the page's URL asks the Logs card for, if a valid one. */
export function windowFromSearch(search: string): LogsWindow | undefined {
  const params = new URLSearchParams(search);
  const start = params.get(LOGS_WINDOW_PARAMS.start);
  const end = params.get(LOGS_WINDOW_PARAMS.end);
  if (!start || !end) return undefined;
  const s = Date.parse(start);
  const e = Date.parse(end);
  if (Number.isNaN(s) || Number.isNaN(e) || s >= e) return undefined;
  return { start: new Date(s).toISOString(), end: new Date(e).toISOString() };
}

/** The page's URL opening the Logs card on `window` (other parameters kept). */
export function logsWindowHref(search: string, window: LogsWindow): string {
  const params = new URLSearchParams(search);
  params.set(LOGS_WINDOW_PARAMS.start, window.start);
  params.set(LOGS_WINDOW_PARAMS.end, window.end);
  return `?${params}#${LOGS_CARD_ID}`;
}

/**
 * The minutes in which a series broke its threshold: from one step before
 * the first breaching point to one step after the last (points are seconds
 * since the epoch), or undefined when none did.
 */
export function badWindow(
  points: ModelHealthPoint[],
  threshold: number,
  scale = 1,
): LogsWindow | undefined {
  const sorted = points
    .filter(p => p.v !== null && Number.isFinite(p.v))
    .sort((a, b) => a.t - b.t);
  const bad = sorted.filter(p => (p.v as number) * scale > threshold);
  if (!bad.length) return undefined;
  const step = sorted.length > 1 ? sorted[1].t - sorted[0].t : 60;
  const start = (bad[0].t - step) * 1000;
  const end = (bad[bad.length - 1].t + step) * 1000;
  return {
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
  };
}
