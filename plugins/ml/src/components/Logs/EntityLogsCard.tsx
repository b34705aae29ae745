import { InfoCard } from '@backstage/core-components';
import { getCompoundEntityRef } from '@backstage/catalog-model';
import { useEntity } from '@backstage/plugin-catalog-react';
import { isModelEntity, isPipelineEntity } from '@mlplatform/plugin-ml-common';
import { WrongKindPanel } from '../EntityCards/common';
import { LogsCard } from './LogsCard';

/**
 * The Logs card of the current Model (its serving pods) or Pipeline (its
 * runs' pods) entity page (`entity-card:ml/logs`).
 *
 * @public
 */
export function EntityLogsCard() {
  const { entity } = useEntity();
  if (!isModelEntity(entity) && !isPipelineEntity(entity)) {
    return (
      <InfoCard title="Logs">
        <WrongKindPanel expected="Model or Pipeline" />
      </InfoCard>
    );
  }
  const ref = getCompoundEntityRef(entity);
  return (
    <LogsCard
      target={{
        kind: isModelEntity(entity) ? 'model' : 'pipeline',
        namespace: ref.namespace,
        name: ref.name,
      }}
      title={
        isModelEntity(entity) ? 'Logs of the serving pods' : 'Logs of the runs'
      }
    />
  );
}
