import { Progress, WarningPanel } from '@backstage/core-components';
import { identityApiRef, useApi } from '@backstage/frontend-plugin-api';
import { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import {
  Box,
  FormControl,
  FormHelperText,
  Grid,
  TextField,
  Typography,
} from '@material-ui/core';
import { availableGpus, NamespaceGpuQuota } from '@mlplatform/plugin-ml-common';
import { useEffect, useRef, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { mlApiRef } from '../../api';
import { GpuGauge } from '../GpuQuotas/GpuGauge';
import { quotaSourceText } from '../GpuQuotas/QuotaUsageCard';
import { serverMessage } from '../shared/errors';
import { WaitEstimateNote } from '../QueueInsights/WaitEstimate';
import {
  flavorsOf,
  GpuPlacement,
  MAX_GPUS,
  resourcesOf,
  toPlacement,
} from './placement';
import { quotaKey, quotasOfTeams, teamLabel } from '../shared/quotas';
import {
  QuotaSelect,
  SelectField,
  UnavailableClusters,
} from '../shared/QuotaFields';

/** How long after the last change the numbers are fetched again. */
const REFRESH_DELAY_MS = 1500;

function quotaLabel(q: NamespaceGpuQuota): string {
  return `${teamLabel(q.team)} · ${q.namespace} on ${q.cluster} (${
    q.source === 'kueue' ? 'Kueue' : 'ResourceQuota'
  })`;
}

/**
 * Scaffolder field `GpuQuotaPicker`: one of the user's teams' GPU quotas,
 * the GPU count, resource and flavor, with live free / borrowable / pending
 * numbers. Writes `{ cluster, namespace, team, gpus, gpuResource, flavor? }`.
 *
 * @public
 */
export function GpuQuotaPicker(
  props: FieldExtensionComponentProps<GpuPlacement>,
) {
  const { formData, onChange, rawErrors, required, schema, idSchema } = props;
  const api = useApi(mlApiRef);
  const identityApi = useApi(identityApiRef);
  const id = idSchema?.$id ?? 'gpu-quota-picker';
  const placement: GpuPlacement = formData ?? {};

  const [refresh, setRefresh] = useState(0);
  const timer = useRef<ReturnType<typeof setTimeout>>();
  useEffect(() => () => clearTimeout(timer.current), []);
  const refreshSoon = () => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => setRefresh(n => n + 1), REFRESH_DELAY_MS);
  };

  const identity = useAsync(
    () => identityApi.getBackstageIdentity(),
    [identityApi],
  );
  const quotas = useAsync(() => api.getQuotas(), [api, refresh]);
  // Keep the last numbers on screen while they are fetched again.
  const [last, setLast] = useState(quotas.value);
  useEffect(() => {
    if (quotas.value) setLast(quotas.value);
  }, [quotas.value]);
  const response = quotas.value ?? last;

  const [gpusText, setGpusText] = useState(
    placement.gpus === undefined ? '' : String(placement.gpus),
  );

  const update = (patch: GpuPlacement) => {
    onChange(toPlacement({ ...placement, ...patch }));
    refreshSoon();
  };

  const title = schema?.title ?? 'Team quota and GPUs';
  const errorText = rawErrors?.length ? rawErrors.join('; ') : undefined;

  if ((!response && quotas.loading) || identity.loading) {
    return <Progress />;
  }
  if (identity.error) {
    return (
      <WarningPanel
        severity="error"
        title={`Could not read who you are: ${identity.error.message}`}
      />
    );
  }
  if (!response) {
    return (
      <WarningPanel
        severity="error"
        title={`Could not load GPU quotas: ${serverMessage(quotas.error)}`}
      />
    );
  }

  const mine = quotasOfTeams(
    response,
    identity.value?.ownershipEntityRefs ?? [],
  );
  const unavailable = response.clusters.filter(c => !c.available);
  const quota = mine.find(
    q => q.cluster === placement.cluster && q.namespace === placement.namespace,
  );
  const resources = resourcesOf(quota);
  const flavors = flavorsOf(quota, placement.gpuResource);
  const shown = quota?.resources.filter(
    r =>
      r.resource === placement.gpuResource &&
      (!placement.flavor || r.flavor === placement.flavor),
  );
  const availability =
    quota && placement.gpuResource
      ? availableGpus([quota], placement.gpuResource, placement.flavor)
      : undefined;

  const choose = (key: string) => {
    const next = mine.find(q => quotaKey(q) === key);
    if (!next) return;
    const nextResources = resourcesOf(next);
    const gpuResource =
      placement.gpuResource && nextResources.includes(placement.gpuResource)
        ? placement.gpuResource
        : nextResources[0];
    update({
      cluster: next.cluster,
      namespace: next.namespace,
      team: next.team,
      gpuResource,
      flavor: flavorsOf(next, gpuResource).includes(placement.flavor ?? '')
        ? placement.flavor
        : undefined,
    });
  };

  return (
    <FormControl
      fullWidth
      margin="normal"
      required={required}
      error={!!errorText}
    >
      <Typography variant="subtitle1">{title}</Typography>
      {schema?.description && (
        <Typography variant="body2" color="textSecondary" paragraph>
          {schema.description}
        </Typography>
      )}
      {quotas.error && (
        <Box mb={1}>
          <WarningPanel
            severity="error"
            title={`Could not refresh GPU quotas: ${serverMessage(
              quotas.error,
            )}`}
          />
        </Box>
      )}
      <UnavailableClusters clusters={unavailable} />
      {mine.length === 0 ? (
        <Typography variant="body2" color="error">
          You are not a member of a team with a GPU quota
          {unavailable.length > 0 ? ' on a cluster that answered' : ''}. Ask
          your team lead or the platform team for one.
        </Typography>
      ) : (
        <Grid container spacing={2}>
          <Grid item xs={12}>
            <QuotaSelect
              id={`${id}-quota`}
              quotas={mine}
              label={quotaLabel}
              value={quota ? quotaKey(quota) : ''}
              onChange={choose}
              helperText={quota ? quotaSourceText(quota) : 'Whose GPUs to use'}
            />
          </Grid>
          <Grid item xs={12} sm={3}>
            <TextField
              id={`${id}-gpus`}
              label="GPUs"
              type="number"
              fullWidth
              variant="outlined"
              size="small"
              inputProps={{ min: 0, max: MAX_GPUS, step: 1 }}
              value={gpusText}
              onChange={e => {
                setGpusText(e.target.value);
                const text = e.target.value.trim();
                update({ gpus: text === '' ? undefined : Number(text) });
              }}
              helperText={`0..${MAX_GPUS}`}
            />
          </Grid>
          <Grid item xs={12} sm={5}>
            <SelectField
              id={`${id}-resource`}
              label="GPU resource"
              disabled={!quota}
              value={placement.gpuResource ?? ''}
              onChange={e =>
                update({
                  gpuResource: e.target.value,
                  flavor: undefined,
                })
              }
            >
              {!quota && <option value="">Choose a quota first</option>}
              {quota &&
                placement.gpuResource &&
                !resources.includes(placement.gpuResource) && (
                  <option value={placement.gpuResource} disabled>
                    {placement.gpuResource} (not in this quota)
                  </option>
                )}
              {resources.map(r => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </SelectField>
          </Grid>
          <Grid item xs={12} sm={4}>
            <SelectField
              id={`${id}-flavor`}
              label="Flavor"
              disabled={flavors.length === 0}
              value={placement.flavor ?? ''}
              onChange={e => update({ flavor: e.target.value || undefined })}
            >
              <option value="">
                {flavors.length === 0 ? 'none' : 'best available'}
              </option>
              {flavors.map(f => (
                <option key={f} value={f}>
                  {f}
                </option>
              ))}
            </SelectField>
          </Grid>
          {quota && (
            <Grid item xs={12}>
              {shown && shown.length > 0 ? (
                shown.map(r => (
                  <GpuGauge
                    key={`${r.resource}@${r.flavor ?? ''}`}
                    resource={r}
                  />
                ))
              ) : (
                <Typography variant="body2" color="textSecondary">
                  This quota has no {placement.gpuResource ?? 'GPU resource'}.
                </Typography>
              )}
              <Typography variant="body2" aria-label="availability">
                {availability
                  ? `${availability.free} free · ${
                      availability.borrowable
                    } borrowable${
                      availability.flavor ? ` (${availability.flavor})` : ''
                    }`
                  : 'No GPUs of this kind'}
                {` · ${quota.pending.length} pending`}
                {quotas.loading ? ' · refreshing…' : ''}
              </Typography>
              {quota.source === 'kueue' &&
                quota.clusterQueue &&
                Number.isInteger(placement.gpus) &&
                placement.gpus! >= 1 && (
                  <Box mt={1}>
                    <WaitEstimateNote
                      query={{
                        cluster: quota.cluster,
                        queue: quota.clusterQueue,
                        gpus: placement.gpus!,
                        ...(placement.gpuResource
                          ? { gpuResource: placement.gpuResource }
                          : {}),
                        ...(placement.flavor
                          ? { flavor: placement.flavor }
                          : {}),
                      }}
                    />
                  </Box>
                )}
            </Grid>
          )}
        </Grid>
      )}
      {errorText && <FormHelperText>{errorText}</FormHelperText>}
    </FormControl>
  );
}
