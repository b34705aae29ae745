import { Progress, WarningPanel } from '@backstage/core-components';
import {
  IdentityApi,
  identityApiRef,
  useApi,
} from '@backstage/frontend-plugin-api';
import {
  Box,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Grid,
  TextField,
  Typography,
} from '@material-ui/core';
import {
  GpuResourceQuota,
  NamespaceGpuQuota,
  Notebook,
} from '@mlplatform/plugin-ml-common';
import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import { MlApi, mlApiRef } from '../../api';
import { serverMessage } from '../shared/errors';
import {
  EMPTY_FORM,
  NOTEBOOK_IMAGES,
  NotebookForm,
  resourceKey,
  toCreateRequest,
  validateNotebookForm,
  waitEstimateQuery,
} from './notebookForm';
import { WaitEstimateNote } from '../QueueInsights/WaitEstimate';
import { quotaKey, quotasOfTeams, teamLabel } from '../shared/quotas';
import {
  QuotaSelect,
  SelectField,
  UnavailableClusters,
} from '../shared/QuotaFields';
import { SpawnProgress } from './SpawnProgress';

/** `2 free, 0 borrowable`, and what others' creations in flight hold. */
function roomText(r: GpuResourceQuota): string {
  const promised = r.promised ? `, ${r.promised} being created` : '';
  return `${r.free} free, ${r.borrowable} borrowable${promised}`;
}

function resourceLabel(r: GpuResourceQuota): string {
  return `${r.resource}${r.flavor ? ` · ${r.flavor}` : ''} — ${roomText(r)}`;
}

function quotaLabel(q: NamespaceGpuQuota): string {
  const room = q.resources
    .map(r => {
      const numbers = roomText(r);
      return q.resources.length === 1
        ? numbers
        : `${r.resource.replace(/^nvidia\.com\//, '')}: ${numbers}`;
    })
    .join('; ');
  return `${teamLabel(q.team)} · ${q.namespace} on ${q.cluster}${
    room ? ` — ${room}` : ''
  }`;
}

/** The resource with the most room, preselected when a quota is chosen. */
function roomiest(q: NamespaceGpuQuota | undefined): string {
  if (!q || q.resources.length === 0) return '';
  const best = [...q.resources].sort(
    (a, b) => b.free + b.borrowable - (a.free + a.borrowable),
  )[0];
  return resourceKey(best);
}

/** The quotas of the user's own teams; the backend refuses the others. */
async function loadChoices(api: MlApi, identityApi: IdentityApi) {
  const [response, identity] = await Promise.all([
    api.getQuotas(),
    identityApi.getBackstageIdentity(),
  ]);
  const refs = identity.ownershipEntityRefs;
  return {
    quotas: quotasOfTeams(response, refs),
    teams: refs.filter(r => r.startsWith('group:')),
    unavailable: response.clusters.filter(c => !c.available),
  };
}

/**
 * Dialog that creates a notebook in one of the user's teams' quotas, showing
 * the free and borrowable GPUs of each and refusing requests that do not fit
 * before they are sent; the backend's refusal is shown in its own words.
 *
 * @public
 */
export function NewNotebookDialog(props: {
  open: boolean;
  onClose: () => void;
  onCreated: (notebook: Notebook) => void;
}) {
  const api = useApi(mlApiRef);
  const identityApi = useApi(identityApiRef);
  const [form, setForm] = useState<NotebookForm>(EMPTY_FORM);
  const [touched, setTouched] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  const [serverError, setServerError] = useState<string>();
  // A JupyterHub notebook being spawned: the dialog stays to show progress.
  const [spawning, setSpawning] = useState<Notebook>();

  const choices = useAsync(
    async () => (props.open ? loadChoices(api, identityApi) : undefined),
    [api, identityApi, props.open],
  );

  const quotas = choices.value?.quotas ?? [];
  const quota = quotas.find(q => quotaKey(q) === form.quota);
  const errors = validateNotebookForm(form, quota);
  const shown = touched ? errors : {};

  const update = (patch: Partial<NotebookForm>) => {
    setServerError(undefined);
    setForm(prev => ({ ...prev, ...patch }));
  };

  const close = () => {
    setForm(EMPTY_FORM);
    setTouched(false);
    setServerError(undefined);
    setSpawning(undefined);
    props.onClose();
  };

  const submit = async () => {
    setTouched(true);
    if (!quota || Object.keys(errors).length > 0) return;
    setSubmitting(true);
    setServerError(undefined);
    try {
      const created = await api.createNotebook(toCreateRequest(form, quota));
      props.onCreated(created);
      if (created.backend === 'jupyterhub' && api.followNotebookProgress) {
        setSpawning(created);
      } else {
        close();
      }
    } catch (e) {
      setServerError(serverMessage(e));
    } finally {
      setSubmitting(false);
    }
  };

  const gpus = Number(form.gpus);
  // Before submitting: how long such a notebook would wait, and where in line.
  const waitQuery = waitEstimateQuery(form, quota);
  /** A half-width free-text field of the form: CPU or memory. */
  const sizeField = (key: 'cpu' | 'memory', label: string, hint: string) => (
    <Grid item xs={6}>
      <TextField
        id={`notebook-${key}`}
        label={label}
        fullWidth
        variant="outlined"
        size="small"
        value={form[key]}
        onChange={e => update({ [key]: e.target.value })}
        error={!!shown[key]}
        helperText={shown[key] ?? hint}
      />
    </Grid>
  );

  return (
    <Dialog
      open={props.open}
      onClose={submitting ? undefined : close}
      maxWidth="sm"
      fullWidth
      aria-labelledby="new-notebook-title"
    >
      <DialogTitle id="new-notebook-title">New notebook</DialogTitle>
      {spawning ? (
        <>
          <DialogContent>
            <SpawnProgress notebook={spawning} />
          </DialogContent>
          <DialogActions>
            <Button onClick={close}>Close</Button>
          </DialogActions>
        </>
      ) : (
        <>
          <DialogContent>
            {choices.loading && <Progress />}
            {choices.error && (
              <WarningPanel
                severity="error"
                title={`Could not load your quotas: ${serverMessage(
                  choices.error,
                )}`}
              />
            )}
            <UnavailableClusters clusters={choices.value?.unavailable ?? []} />
            {choices.value && quotas.length === 0 && (
              <Typography variant="body2" color="textSecondary" paragraph>
                None of your teams
                {choices.value.teams.length > 0
                  ? ` (${choices.value.teams.map(teamLabel).join(', ')})`
                  : ''}{' '}
                has a GPU quota on a cluster that answered. Ask your team lead
                or the platform team for one.
              </Typography>
            )}
            {choices.value && quotas.length > 0 && (
              <Grid container spacing={2} style={{ marginTop: 4 }}>
                <Grid item xs={12}>
                  <TextField
                    id="notebook-name"
                    label="Name"
                    fullWidth
                    required
                    variant="outlined"
                    size="small"
                    value={form.name}
                    onChange={e => update({ name: e.target.value.trim() })}
                    error={!!shown.name}
                    helperText={
                      shown.name ??
                      'Lower-case letters, digits and -, at most 52 characters'
                    }
                  />
                </Grid>
                <Grid item xs={12}>
                  <QuotaSelect
                    id="notebook-quota"
                    quotas={quotas}
                    label={quotaLabel}
                    value={form.quota}
                    onChange={key => {
                      const next = quotas.find(q => quotaKey(q) === key);
                      update({ quota: key, resource: roomiest(next) });
                    }}
                    error={!!shown.quota}
                    helperText={shown.quota ?? 'Whose GPUs the notebook spends'}
                  />
                </Grid>
                <Grid item xs={12}>
                  <SelectField
                    id="notebook-image"
                    label="Image"
                    value={form.image}
                    onChange={e => update({ image: e.target.value })}
                    helperText={form.image}
                  >
                    {NOTEBOOK_IMAGES.map(i => (
                      <option key={i.image} value={i.image}>
                        {i.label}
                      </option>
                    ))}
                  </SelectField>
                </Grid>
                {sizeField('cpu', 'CPU', 'cores, e.g. 2 or 500m')}
                {sizeField('memory', 'Memory', 'e.g. 8Gi')}
                <Grid item xs={4}>
                  <TextField
                    id="notebook-gpus"
                    label="GPUs"
                    type="number"
                    fullWidth
                    variant="outlined"
                    size="small"
                    inputProps={{ min: 0, step: 1 }}
                    value={form.gpus}
                    onChange={e => update({ gpus: e.target.value })}
                    error={!!shown.gpus}
                    helperText={shown.gpus ?? '0 for a CPU-only notebook'}
                  />
                </Grid>
                <Grid item xs={8}>
                  <SelectField
                    id="notebook-resource"
                    label="GPU resource / flavor"
                    disabled={!quota || gpus === 0}
                    value={form.resource}
                    onChange={e => update({ resource: e.target.value })}
                    error={!!shown.resource}
                    helperText={shown.resource}
                  >
                    {!quota && <option value="">Choose a quota first</option>}
                    {quota?.resources.map(r => (
                      <option key={resourceKey(r)} value={resourceKey(r)}>
                        {resourceLabel(r)}
                      </option>
                    ))}
                  </SelectField>
                </Grid>
              </Grid>
            )}
            {waitQuery && (
              <Box mt={2}>
                <WaitEstimateNote query={waitQuery} />
              </Box>
            )}
            {serverError && (
              <Box mt={2}>
                <WarningPanel
                  severity="error"
                  title="The ML backend refused the notebook"
                  message={serverError}
                  defaultExpanded
                />
              </Box>
            )}
          </DialogContent>
          <DialogActions>
            <Button onClick={close} disabled={submitting}>
              Cancel
            </Button>
            <Button
              color="primary"
              variant="contained"
              onClick={submit}
              disabled={submitting || quotas.length === 0}
            >
              {submitting ? 'Creating…' : 'Create'}
            </Button>
          </DialogActions>
        </>
      )}
    </Dialog>
  );
}
