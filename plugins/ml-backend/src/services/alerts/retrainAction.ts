import { AuthService } from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { isModelEntity } from '@mlplatform/plugin-ml-common';
import { MlAlertAction, MlAlertActionResult } from '@mlplatform/plugin-ml-node';
import { PipelineRunsService } from '../pipelines/PipelineRunsService';

/** What the built-in `retrain` action started. @internal */
export interface RetrainResult extends MlAlertActionResult {
  /** The Pipeline entity ref, also in `ref`. */
  pipelineRef: string;
  runId: string;
}

function parametersOf(params: Record<string, unknown>): Record<string, string> {
  const parameters = params.parameters ?? {};
  if (
    typeof parameters !== 'object' ||
    parameters === null ||
    Array.isArray(parameters) ||
    Object.values(parameters).some(v => typeof v !== 'string')
  ) {
    throw new InputError(
      'retrain: params.parameters must map run parameter names to strings',
    );
  }
  return parameters as Record<string, string>;
}

/**
 * The built-in `retrain` alert action: starts a run of the Model's
 * `spec.producedBy` Pipeline through the same service as the HTTP API, as
 * the ML backend's own service principal, with trigger
 * `{ type: 'alert', by: '<alertname> <fingerprint>' }`. A rule's
 * `params.parameters` become the run parameters.
 *
 * @internal
 */
export function createRetrainAction(options: {
  pipelineRuns: PipelineRunsService;
  catalog: CatalogService;
  auth: AuthService;
}): MlAlertAction {
  const { pipelineRuns, catalog, auth } = options;
  return {
    id: 'retrain',
    async run({ alert, entityRef, params }): Promise<RetrainResult> {
      const parameters = parametersOf(params);
      const credentials = await auth.getOwnServiceCredentials();
      const model = await catalog.getEntityByRef(entityRef, { credentials });
      if (!model || !isModelEntity(model)) {
        throw new NotFoundError(`No Model ${entityRef} in the catalog`);
      }
      const producedBy = model.spec.producedBy;
      if (!producedBy) {
        throw new InputError(
          `${entityRef} has no spec.producedBy Pipeline to retrain with`,
        );
      }
      const pipelineRef = stringifyEntityRef(
        parseEntityRef(producedBy, {
          defaultKind: 'pipeline',
          defaultNamespace: model.metadata.namespace ?? 'default',
        }),
      );
      const alertname = alert.labels.alertname ?? 'alert';
      const { run } = await pipelineRuns.startRun({
        pipelineRef,
        parameters,
        credentials,
        trigger: { type: 'alert', by: `${alertname} ${alert.fingerprint}` },
      });
      return {
        summary: `started run ${run.id} of ${pipelineRef}`,
        ref: pipelineRef,
        pipelineRef,
        runId: run.id,
      };
    },
  };
}
