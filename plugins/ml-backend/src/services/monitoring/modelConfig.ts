import type { Entity } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  ANNOTATION_ALERT_SELECTOR,
  ANNOTATION_METRICS_PROFILE,
  ANNOTATION_METRICS_SELECTOR,
  HealthWindow,
  LabelMatcher,
  ModelSlo,
  parseLabelMatchers,
} from '@mlplatform/plugin-ml-common';
import type { MetricsProfile } from '@mlplatform/plugin-ml-node';
import { formatLabelMatchers } from './metricsProfiles';

/**
 * What the health of one Model is computed from: its annotations and
 * `spec.slo`, read and checked before anything is asked upstream.
 *
 * @internal
 */
export interface ModelConfig {
  entityRef: string;
  /** From `mlplatform.io/metrics-selector`. */
  matchers: LabelMatcher[];
  /** From `mlplatform.io/alert-selector`, else the metrics matchers. */
  alertMatchers: LabelMatcher[];
  profile: MetricsProfile;
  slo?: ModelSlo;
  window: HealthWindow;
}

/**
 * The metrics profiles a Model may name, and the one for those that do not.
 *
 * @internal
 */
export interface MetricsProfiles {
  profiles: Map<string, MetricsProfile>;
  defaultProfile: string;
}

function parseSelector(text: string, annotation: string): LabelMatcher[] {
  try {
    const matchers = parseLabelMatchers(text);
    // Also what renderQuery does; checked here so the answer is a 400
    // naming the annotation, before any query is sent.
    formatLabelMatchers(matchers);
    return matchers;
  } catch (error) {
    throw new InputError(
      `The ${annotation} annotation must be Prometheus label matchers like namespace="ml", model="my-model": ${
        (error as Error).message
      }`,
    );
  }
}

function profileOf(
  name: string | undefined,
  { profiles, defaultProfile }: MetricsProfiles,
): MetricsProfile {
  const wanted = name?.trim() || defaultProfile;
  const profile = profiles.get(wanted);
  if (!profile) {
    throw new InputError(
      `Unknown metrics profile "${wanted}" in the ${ANNOTATION_METRICS_PROFILE} annotation; known profiles: ${[
        ...profiles.keys(),
      ]
        .sort()
        .join(', ')}`,
    );
  }
  return profile;
}

/**
 * Reads what to ask about a Model from its annotations, or `undefined` when
 * it has no metrics selector, so there is nothing to ask.
 *
 * @throws InputError for a selector that is not a list of label matchers
 * or an unknown metrics profile.
 * @internal
 */
export function readModelConfig(
  entity: Entity,
  entityRef: string,
  window: HealthWindow,
  profiles: MetricsProfiles,
): ModelConfig | undefined {
  const annotations = entity.metadata.annotations ?? {};
  const selectorText = annotations[ANNOTATION_METRICS_SELECTOR];
  if (selectorText === undefined || selectorText.trim() === '') {
    return undefined;
  }
  // In this order, so a Model with several mistakes hears of them in the
  // same order as before: metrics selector, profile, alert selector.
  const matchers = parseSelector(selectorText, ANNOTATION_METRICS_SELECTOR);
  const profile = profileOf(annotations[ANNOTATION_METRICS_PROFILE], profiles);
  const alertSelector = annotations[ANNOTATION_ALERT_SELECTOR];
  return {
    entityRef,
    matchers,
    alertMatchers:
      alertSelector === undefined
        ? matchers
        : parseSelector(alertSelector, ANNOTATION_ALERT_SELECTOR),
    profile,
    slo: (entity.spec as { slo?: ModelSlo } | undefined)?.slo,
    window,
  };
}

/**
 * The cache key of a config: everything the answer depends on, so an
 * edited annotation or SLO is not answered from the old entry.
 *
 * @internal
 */
export function configKey(model: ModelConfig): string {
  return JSON.stringify([
    model.entityRef,
    model.window.text,
    model.matchers,
    model.alertMatchers,
    model.profile.name,
    model.slo ?? null,
  ]);
}
