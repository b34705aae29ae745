import { RELATION_OWNED_BY } from '@backstage/catalog-model';
import { InfoCard } from '@backstage/core-components';
import { useEntity } from '@backstage/plugin-catalog-react';
import {
  GpuQuotaEntityV1alpha1,
  GpuQuotaResources,
  isGpuQuotaEntity,
  RELATION_QUOTA_OF,
} from '@mlplatform/plugin-ml-common';
import { FieldsTable, refLinks, WrongKindPanel } from './common';
import { refsOf, relationTargets } from './entityRefs';

function resourceLines(
  resources: Partial<GpuQuotaResources> | undefined,
): string[] | undefined {
  if (!resources) return undefined;
  const lines = [
    ...Object.entries(resources.gpus ?? {}).map(
      ([name, count]) => `${name}: ${count}`,
    ),
    ...(resources.cpu !== undefined ? [`cpu: ${resources.cpu}`] : []),
    ...(resources.memory !== undefined ? [`memory: ${resources.memory}`] : []),
  ];
  return lines.length > 0 ? lines : undefined;
}

function sourceText(source: GpuQuotaEntityV1alpha1['spec']['source']) {
  if (source.type === 'kueue') {
    const queues = [
      source.clusterQueue && `ClusterQueue ${source.clusterQueue}`,
      source.localQueue && `LocalQueue ${source.localQueue}`,
    ].filter(Boolean);
    return `Kueue${queues.length ? `: ${queues.join(', ')}` : ''}`;
  }
  return `ResourceQuota: ${source.resourceQuota ?? 'all in the namespace'}`;
}

/**
 * Overview of a GpuQuota: cluster, namespace, where the quota is enforced
 * (ResourceQuota or Kueue queues), limits per GPU resource, borrowing limit,
 * owner and the pipelines that run on it.
 *
 * @public
 */
export function GpuQuotaOverviewCard() {
  const { entity } = useEntity();
  if (!isGpuQuotaEntity(entity)) {
    return (
      <InfoCard title="GPU quota">
        <WrongKindPanel expected="GpuQuota" />
      </InfoCard>
    );
  }
  const { spec } = entity;
  return (
    <InfoCard title="GPU quota">
      <FieldsTable
        fields={{
          Cluster: spec.cluster,
          Namespace: spec.namespace,
          Source: sourceText(spec.source),
          Limits: resourceLines(spec.limits),
          'Borrowing limit': resourceLines(spec.borrowingLimit),
          Owner: refLinks(refsOf(entity, RELATION_OWNED_BY, 'owner')),
          'Used by': refLinks(relationTargets(entity, RELATION_QUOTA_OF)),
        }}
      />
    </InfoCard>
  );
}
