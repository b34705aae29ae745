import { getCompoundEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { mlApiRef } from '../../api';

/**
 * The health of the page's Model over `window`, from the ML backend; asks
 * nothing while `enabled` is false (a card placed on another kind).
 */
export function useModelHealth(window: string, enabled: boolean = true) {
  const { entity } = useEntity();
  const api = useApi(mlApiRef);
  const { namespace, name } = getCompoundEntityRef(entity);
  return useAsyncRetry(
    async () =>
      enabled ? api.getModelHealth({ namespace, name }, window) : undefined,
    [api, namespace, name, window, enabled],
  );
}
