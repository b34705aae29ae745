import {
  EmptyState,
  InfoCard,
  Progress,
  ResponseErrorPanel,
  StatusOK,
  WarningPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { Box, Typography } from '@material-ui/core';
import {
  GpuQuotaEntityV1alpha1,
  isGpuQuotaEntity,
  NamespaceGpuQuota,
} from '@mlplatform/plugin-ml-common';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { mlApiRef } from '../../api';
import { GpuGauge } from '../GpuQuotas/GpuGauge';
import { quotaSourceText } from '../GpuQuotas/QuotaUsageCard';
import { WrongKindPanel } from './common';

type Spec = GpuQuotaEntityV1alpha1['spec'];

/**
 * The live quotas the entity describes: the ResourceQuota or ClusterQueue it
 * names when it names one, else every GPU quota of its namespace.
 */
export function describedQuotas(
  spec: Spec,
  live: NamespaceGpuQuota[],
): { quotas: NamespaceGpuQuota[]; missing?: string } {
  const inNamespace = live.filter(
    q => q.cluster === spec.cluster && q.namespace === spec.namespace,
  );
  const { source } = spec;
  let named: string | undefined;
  let matches: NamespaceGpuQuota[] = inNamespace;
  if (source.type === 'resourcequota' && source.resourceQuota) {
    named = `ResourceQuota ${source.resourceQuota}`;
    matches = inNamespace.filter(
      q => q.source === 'resourcequota' && q.name === source.resourceQuota,
    );
  } else if (source.type === 'kueue' && source.clusterQueue) {
    named = `ClusterQueue ${source.clusterQueue}`;
    matches = inNamespace.filter(
      q =>
        q.source === 'kueue' &&
        (q.clusterQueue ?? q.name) === source.clusterQueue,
    );
  }
  if (named && matches.length === 0 && inNamespace.length > 0) {
    return {
      quotas: inNamespace,
      missing: `The catalog names ${named}, which ${spec.namespace} on ${spec.cluster} does not have; showing what the namespace has instead.`,
    };
  }
  return { quotas: matches };
}

/**
 * Where the catalog's declared GPU limits and the cluster's hard limits
 * differ, one sentence per GPU resource.
 */
export function limitMismatches(
  spec: Spec,
  quotas: NamespaceGpuQuota[],
): string[] {
  const live = new Map<string, number>();
  for (const q of quotas) {
    for (const r of q.resources) {
      live.set(r.resource, (live.get(r.resource) ?? 0) + r.hard);
    }
  }
  const declared = spec.limits?.gpus ?? {};
  const problems: string[] = [];
  for (const [resource, count] of Object.entries(declared)) {
    const hard = live.get(resource);
    if (hard === undefined) {
      problems.push(
        `${resource}: catalog says ${count}, cluster has no quota for it`,
      );
    } else if (hard !== count) {
      problems.push(`${resource}: catalog says ${count}, cluster says ${hard}`);
    }
  }
  for (const [resource, hard] of live) {
    if (!(resource in declared)) {
      problems.push(
        `${resource}: cluster says ${hard}, catalog declares no limit`,
      );
    }
  }
  return problems;
}

function Body(props: { spec: Spec }) {
  const { spec } = props;
  const api = useApi(mlApiRef);
  const { value, loading, error } = useAsyncRetry(
    () => api.getQuotas({ cluster: spec.cluster, namespace: spec.namespace }),
    [api, spec.cluster, spec.namespace],
  );
  const where = `${spec.namespace} on ${spec.cluster}`;

  if (loading) return <Progress />;
  if (error) {
    return (
      <ResponseErrorPanel
        title={`Could not read the live quota of ${where}`}
        error={error}
      />
    );
  }
  const cluster = value!.clusters.find(c => c.name === spec.cluster);
  if (!cluster) {
    return (
      <EmptyState
        missing="info"
        title={`${spec.cluster} is not configured in the ML backend`}
        description={
          <>
            Add it under <code>ml.kubernetes.clusters</code> in app-config.yaml
            to see live usage, or fix <code>spec.cluster</code> of this entity.
          </>
        }
      />
    );
  }
  if (!cluster.available) {
    return (
      <WarningPanel
        title={`${spec.cluster} unavailable: ${cluster.error ?? 'no answer'}`}
        message="Live usage shows again once the cluster answers; the catalog's declared limits are in the GPU quota card."
      />
    );
  }
  const { quotas, missing } = describedQuotas(spec, value!.quotas);
  if (quotas.length === 0) {
    return (
      <EmptyState
        missing="data"
        title={`No GPU quota in ${where}`}
        description="The cluster answered, but the namespace has no ResourceQuota on nvidia.com GPUs and no Kueue LocalQueue with GPU quota. Ask the platform team to apply it, or remove this stale entity."
      />
    );
  }
  const mismatches = limitMismatches(spec, quotas);
  const pending = quotas.reduce((n, q) => n + q.pending.length, 0);
  return (
    <>
      {missing && (
        <Box mb={1}>
          <WarningPanel title={missing} />
        </Box>
      )}
      <Box mb={1}>
        {mismatches.length > 0 ? (
          <WarningPanel
            title="The catalog and the cluster disagree"
            defaultExpanded
            message={
              <>
                {mismatches.map(m => (
                  <span key={m} style={{ display: 'block' }}>
                    {m}
                  </span>
                ))}
              </>
            }
          />
        ) : (
          <StatusOK>Cluster limits match the catalog</StatusOK>
        )}
      </Box>
      {quotas.map(q => (
        <Box key={`${q.source}/${q.name}`} mt={1.5}>
          <Typography variant="caption" color="textSecondary" component="p">
            {quotaSourceText(q)}
          </Typography>
          {q.resources.map(r => (
            <GpuGauge key={`${r.resource}/${r.flavor ?? ''}`} resource={r} />
          ))}
        </Box>
      ))}
      <Typography variant="body2">
        {pending === 0
          ? 'No workloads waiting for GPUs.'
          : `${pending} workload${pending === 1 ? '' : 's'} waiting for GPUs.`}
      </Typography>
    </>
  );
}

/**
 * Live GPU usage of a GpuQuota entity's namespace, read from its cluster,
 * compared with the limits the catalog declares.
 *
 * @public
 */
export function GpuQuotaUsageCard() {
  const { entity } = useEntity();
  if (!isGpuQuotaEntity(entity)) {
    return (
      <InfoCard title="GPU usage">
        <WrongKindPanel expected="GpuQuota" />
      </InfoCard>
    );
  }
  return (
    <InfoCard
      title="GPU usage"
      subheader={`Live from ${entity.spec.namespace} on ${entity.spec.cluster}`}
    >
      <Body spec={entity.spec} />
    </InfoCard>
  );
}
