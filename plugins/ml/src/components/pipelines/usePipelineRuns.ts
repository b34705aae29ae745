import { useApi } from '@backstage/frontend-plugin-api';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { mlApiRef, PipelineRef } from '../../api';

/**
 * The runs of a pipeline, newest first; asks nothing while `ref` is
 * undefined (a card on another kind, a model without `spec.producedBy`).
 */
export function usePipelineRuns(ref: PipelineRef | undefined, limit: number) {
  const api = useApi(mlApiRef);
  const namespace = ref?.namespace;
  const name = ref?.name;
  return useAsyncRetry(
    async () =>
      namespace && name
        ? api.getPipelineRuns({ namespace, name }, { limit })
        : undefined,
    [api, namespace, name, limit],
  );
}

/** `23 Nov 2026, 14:02 UTC`, for tooltips next to relative times. */
export function absoluteTime(iso: string | undefined): string {
  if (!iso || Number.isNaN(Date.parse(iso))) return '';
  return `${new Date(iso).toLocaleString('en-GB', {
    timeZone: 'UTC',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  })} UTC`;
}
