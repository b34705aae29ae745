import { RELATION_OWNED_BY, RELATION_PART_OF } from '@backstage/catalog-model';
import { InfoCard } from '@backstage/core-components';
import { useEntity } from '@backstage/plugin-catalog-react';
import {
  getModelCardInfo,
  isModelEntity,
  ModelLikeType,
  ModelSlo,
} from '@mlplatform/plugin-ml-common';
import { FieldsTable, refLinks, WrongKindPanel } from './common';
import { refsOf } from './entityRefs';

const RHDH_TYPE_LABELS: Record<ModelLikeType, string | undefined> = {
  model: undefined,
  'rhdh-ai-model': 'AI model (Red Hat Developer Hub)',
  'rhdh-model-server': 'Model server (Red Hat Developer Hub)',
};

function formatPercent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(6))} %`;
}

function sloLines(slo: ModelSlo | undefined): string[] | undefined {
  if (!slo) return undefined;
  const lines = [
    slo.latencyP95Ms !== undefined && `p95 latency ≤ ${slo.latencyP95Ms} ms`,
    slo.errorRate !== undefined &&
      `error rate ≤ ${formatPercent(slo.errorRate)}`,
    slo.availability !== undefined &&
      `availability ≥ ${formatPercent(slo.availability)}`,
  ].filter((line): line is string => Boolean(line));
  return lines.length > 0 ? lines : undefined;
}

/**
 * Overview of a Model: type, framework, task, lifecycle, owner, system,
 * registry and SLO targets. Also describes Red Hat Developer Hub model-like
 * entities (`Resource` of type `ai-model`, `Component` of type
 * `model-server`) with the fields they carry.
 *
 * @public
 */
export function ModelOverviewCard() {
  const { entity } = useEntity();
  const info = getModelCardInfo(entity);
  if (!info) {
    return (
      <InfoCard title="Model">
        <WrongKindPanel expected="Model" />
      </InfoCard>
    );
  }
  const spec = isModelEntity(entity) ? entity.spec : undefined;
  const owners = refsOf(entity, RELATION_OWNED_BY, 'owner');
  const systems = refsOf(entity, RELATION_PART_OF, 'system');
  return (
    <InfoCard title="Model">
      <FieldsTable
        fields={{
          Type: RHDH_TYPE_LABELS[info.type] ?? spec?.type,
          Framework: info.framework,
          Task: info.task,
          Lifecycle: info.lifecycle,
          Owner: refLinks(owners),
          System: refLinks(systems),
          Registry: info.registryRef,
          'Served model name': info.servedModelName,
          'SLO targets': sloLines(spec?.slo),
        }}
      />
    </InfoCard>
  );
}
