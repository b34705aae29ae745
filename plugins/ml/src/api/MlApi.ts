import { createApiRef } from '@backstage/frontend-plugin-api';
import { MlHealthResponse } from '@mlplatform/plugin-ml-common';

/**
 * Talks to the ML backend (`/api/ml`).
 *
 * @public
 */
export interface MlApi {
  /** Version of the ML backend and the status of each integration. */
  getHealth(): Promise<MlHealthResponse>;
}

/** @public */
export const mlApiRef = createApiRef<MlApi>().with({
  id: 'ml',
  pluginId: 'ml',
});
