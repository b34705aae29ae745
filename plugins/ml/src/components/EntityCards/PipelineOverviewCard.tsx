import { RELATION_OWNED_BY, RELATION_PART_OF } from '@backstage/catalog-model';
import { InfoCard } from '@backstage/core-components';
import { useEntity } from '@backstage/plugin-catalog-react';
import {
  isPipelineEntity,
  PipelineOrchestrator,
  RELATION_CONSUMES,
  RELATION_PRODUCES,
  RELATION_USES_QUOTA,
} from '@mlplatform/plugin-ml-common';
import { FieldsTable, refLinks, WrongKindPanel } from './common';
import { refsOf } from './entityRefs';

function orchestratorText(orchestrator: PipelineOrchestrator): string {
  const where = [orchestrator.cluster, orchestrator.namespace]
    .filter(Boolean)
    .join(' / ');
  return `${orchestrator.type}: ${orchestrator.id}${
    where ? ` (${where})` : ''
  }`;
}

/**
 * Overview of a Pipeline: type, orchestrator, schedule, the datasets and
 * models it consumes and produces, and the GPU quota it runs on.
 *
 * @public
 */
export function PipelineOverviewCard() {
  const { entity } = useEntity();
  if (!isPipelineEntity(entity)) {
    return (
      <InfoCard title="Pipeline">
        <WrongKindPanel expected="Pipeline" />
      </InfoCard>
    );
  }
  const { spec } = entity;
  return (
    <InfoCard title="Pipeline">
      <FieldsTable
        fields={{
          Type: spec.type,
          Orchestrator: orchestratorText(spec.orchestrator),
          Schedule: spec.schedule ?? 'on demand',
          Lifecycle: spec.lifecycle,
          Owner: refLinks(refsOf(entity, RELATION_OWNED_BY, 'owner')),
          System: refLinks(refsOf(entity, RELATION_PART_OF, 'system')),
          Consumes: refLinks(refsOf(entity, RELATION_CONSUMES, 'consumes')),
          Produces: refLinks(refsOf(entity, RELATION_PRODUCES, 'produces')),
          'GPU quota': refLinks(
            refsOf(entity, RELATION_USES_QUOTA, 'gpuQuota'),
          ),
        }}
      />
    </InfoCard>
  );
}
