import { createExtensionPoint } from '@backstage/backend-plugin-api';
import type { LabelMatcher, LogLine } from '@mlplatform/plugin-ml-common';

/**
 * One query of an entity's lines in a central log store: the label
 * matchers of its `mlplatform.io/logs-selector` annotation (already parsed
 * and checked), the window (already bounded by `ml.logs.maxWindow`), an
 * optional case-insensitive text filter and the most lines to return.
 *
 * @public
 */
export interface LogStoreQueryInput {
  matchers: LabelMatcher[];
  start: Date;
  end: Date;
  search?: string;
  limit: number;
  signal?: AbortSignal;
}

/**
 * What a log store answered: the lines (newest first), the query it ran in
 * its own language (shown on the card so people can run it themselves) and
 * whether `limit` cut the answer.
 *
 * @public
 */
export interface LogStoreQueryResult {
  lines: LogLine[];
  query: string;
  truncated: boolean;
}

/**
 * A central log store (Grafana Loki, Elasticsearch, …) the Logs card reads
 * an entity's lines from. Adapters build their query from the parsed
 * matchers, never from annotation text, and contact only their configured
 * endpoint.
 *
 * @public
 */
export interface LogStoreAdapter {
  /** Name shown on the card and in `ml.logs.store`, e.g. `loki`. */
  readonly name: string;
  query(input: LogStoreQueryInput): Promise<LogStoreQueryResult>;
}

/**
 * Lets backend modules install the log store the ML backend queries (the
 * last one added wins; the built-in Loki adapter is used when
 * `ml.logs.loki.url` is configured and no module adds one).
 *
 * @public
 */
export interface MlLogStoreExtensionPoint {
  setLogStore(adapter: LogStoreAdapter): void;
}

/**
 * Extension point for {@link MlLogStoreExtensionPoint}.
 *
 * @public
 */
export const mlLogStoreExtensionPoint =
  createExtensionPoint<MlLogStoreExtensionPoint>({
    id: 'ml.logStore',
  });
