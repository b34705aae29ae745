import { AuthService } from '@backstage/backend-plugin-api';
import { MlAlertAction, MlAlertActionResult } from '@mlplatform/plugin-ml-node';
import { ServingPlace } from '@mlplatform/plugin-ml-common';
import { ServingService } from '../serving/ServingService';

/** What the built-in `rollback` action did. @internal */
export interface RollbackResult extends MlAlertActionResult {
  /** `cluster/namespace/name` of each InferenceService rolled back. */
  rolledBack: string[];
}

const where = (p: ServingPlace) => `${p.cluster}/${p.namespace}/${p.name}`;

/**
 * The built-in `rollback` alert action, next to `retrain`: every running
 * canary of the alert's Model (KServe `canaryTrafficPercent` above 0) goes
 * back to 0 %, all traffic to the stable revision, through the same
 * {@link ServingService} as the Serving card's "Roll back", as the ML
 * backend's own service principal. Each rollback is audited
 * (`ml.model.rollout`, trigger `<alertname> <fingerprint>`). Fails when a
 * rollback failed, so the webhook records the action as failed.
 *
 * @internal
 */
export function createRollbackAction(options: {
  serving: ServingService;
  auth: AuthService;
}): MlAlertAction {
  const { serving, auth } = options;
  return {
    id: 'rollback',
    async run({ alert, entityRef }): Promise<RollbackResult> {
      const credentials = await auth.getOwnServiceCredentials();
      const alertname = alert.labels.alertname ?? 'alert';
      const { rolledBack, failed } = await serving.rollbackCanaries({
        entityRef,
        credentials,
        trigger: `${alertname} ${alert.fingerprint}`,
      });
      if (failed.length) {
        throw new Error(
          `rollback of ${entityRef} failed on ${failed.join('; ')}${
            rolledBack.length
              ? ` (rolled back: ${rolledBack.map(where).join(', ')})`
              : ''
          }`,
        );
      }
      return {
        summary: rolledBack.length
          ? `rolled back the canary on ${rolledBack.map(where).join(', ')}`
          : `no canary of ${entityRef} takes traffic: nothing to roll back`,
        ref: entityRef,
        rolledBack: rolledBack.map(where),
      };
    },
  };
}
