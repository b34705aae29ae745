import {
  InfoCard,
  Link,
  Progress,
  WarningPanel,
} from '@backstage/core-components';
import {
  getCompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { useApi } from '@backstage/frontend-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  Box,
  Button,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  MenuItem,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
  Tooltip,
  Typography,
} from '@material-ui/core';
import {
  checkMlInput,
  isModelEntity,
  LABEL_SERVING_MODEL,
  mlModelRolloutPermission,
  ModelRolloutRequest,
  modelRolloutRequestSchema,
  ModelVersion,
  ServingPlace,
} from '@mlplatform/plugin-ml-common';
import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { mlApiRef } from '../../api';
import { WrongKindPanel } from '../EntityCards/common';
import { TEMPLATE_LINKS } from '../Overview/tiles';
import { serverMessage } from '../shared/errors';
import { longToken, oneLine, wholeWords } from '../shared/tableCells';

type Target = Pick<ServingPlace, 'cluster' | 'namespace' | 'name'>;

const VERDICT_COLORS = {
  healthy: '#2e7d32',
  degraded: '#ef6c00',
  failing: '#c62828',
  unknown: '#757575',
} as const;

/** Stable and canary side by side (one above the other in a narrow card): version, share of the traffic, revision. */
function TrafficSplit(props: { place: ServingPlace }) {
  const { traffic } = props.place;
  if (traffic.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        no traffic yet
      </Typography>
    );
  }
  return (
    <Box
      display="flex"
      flexWrap="wrap"
      style={{ gap: 8 }}
      aria-label="Traffic split"
    >
      {traffic.map(t => (
        <Box
          key={t.revision}
          border={1}
          borderRadius={4}
          borderColor={t.role === 'canary' ? 'secondary.main' : 'primary.main'}
          px={1}
          py={0.5}
          flex={1}
          minWidth={110}
          data-testid={`traffic-${t.role}`}
        >
          <Typography variant="caption" color="textSecondary">
            {t.role === 'canary' ? 'Canary' : 'Stable'}
          </Typography>
          <Typography variant="body2">
            <strong>{t.version ?? '?'}</strong> · {t.percent}%
          </Typography>
          {t.health && (
            <Tooltip title={t.health.reason ?? ''}>
              <Typography
                variant="caption"
                display="block"
                data-testid={`health-${t.role}`}
              >
                <span style={{ color: VERDICT_COLORS[t.health.verdict] }}>
                  ● {t.health.verdict}
                </span>
                {t.health.errorRate !== null &&
                  ` · ${(t.health.errorRate * 100).toFixed(1)}% errors`}
                {t.health.p95 !== null &&
                  ` · p95 ${Math.round(t.health.p95 * 1000)} ms`}
              </Typography>
            </Tooltip>
          )}
          <Typography
            variant="caption"
            color="textSecondary"
            title={t.revision}
            style={{ overflowWrap: 'anywhere' }}
          >
            {t.revision}
          </Typography>
        </Box>
      ))}
    </Box>
  );
}

function Status(props: { place: ServingPlace }) {
  const { place } = props;
  if (place.ready) {
    return (
      <Chip size="small" label="Ready" style={{ background: '#c8e6c9' }} />
    );
  }
  return (
    <Tooltip title={place.message ?? ''}>
      <Box>
        <Chip
          size="small"
          label="Not ready"
          style={{ background: '#ffcdd2' }}
        />
        <Typography variant="caption" display="block">
          {place.reason}
          {place.message ? `: ${place.message}` : ''}
        </Typography>
      </Box>
    </Tooltip>
  );
}

function replicasText(place: ServingPlace): string {
  const { ready, desired, max } = place.replicas;
  if (ready !== undefined) return `${ready}/${desired ?? '?'}`;
  return max !== undefined ? `${desired ?? 1}–${max}` : `${desired ?? 1}`;
}

/** "Roll out version N": the version from the registry and the canary's share. */
function RolloutDialog(props: {
  target: Target;
  versions: ModelVersion[];
  onRollout: (request: ModelRolloutRequest) => Promise<unknown>;
  onClose: (done: boolean) => void;
}) {
  const { target, versions } = props;
  const [version, setVersion] = useState(versions[0]?.version ?? '');
  const [percent, setPercent] = useState('10');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const body = {
    action: 'canary' as const,
    ...target,
    version,
    percent: percent.trim() === '' ? NaN : Number(percent),
  };
  const checked = checkMlInput(modelRolloutRequestSchema, body);
  const issue = (field: string) =>
    checked.success
      ? undefined
      : checked.issues.find(i => i.path === field)?.message;
  return (
    <Dialog open onClose={() => props.onClose(false)} fullWidth maxWidth="xs">
      <DialogTitle>
        Roll out a version to {target.namespace}/{target.name}
      </DialogTitle>
      <DialogContent>
        <TextField
          select
          fullWidth
          margin="dense"
          label="Version"
          value={version}
          onChange={e => setVersion(e.target.value as string)}
          error={!!issue('version')}
          helperText={issue('version')}
          inputProps={{ 'aria-label': 'Version' }}
        >
          {versions.map(v => (
            <MenuItem key={v.version} value={v.version}>
              {v.version}
              {v.aliases.length ? ` (${v.aliases.join(', ')})` : ''}
            </MenuItem>
          ))}
        </TextField>
        <TextField
          fullWidth
          margin="dense"
          label="Canary traffic %"
          type="number"
          value={percent}
          onChange={e => setPercent(e.target.value)}
          error={!!issue('percent')}
          helperText={
            issue('percent') ??
            'Share of the requests the new version takes; the rest stays on the stable version.'
          }
          inputProps={{ min: 0, max: 100, 'aria-label': 'Canary traffic %' }}
        />
        {error && (
          <Typography color="error" variant="body2" role="alert">
            {error}
          </Typography>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={() => props.onClose(false)}>Cancel</Button>
        <Button
          color="primary"
          variant="contained"
          disabled={!checked.success || busy}
          onClick={async () => {
            if (!checked.success) return;
            setBusy(true);
            setError(undefined);
            try {
              await props.onRollout(checked.data);
              props.onClose(true);
            } catch (e) {
              setError(serverMessage(e));
              setBusy(false);
            }
          }}
        >
          Start canary
        </Button>
      </DialogActions>
    </Dialog>
  );
}

/**
 * Where a Model serves (`entity-card:ml/model-serving`): every
 * InferenceService and Deployment labelled for it across the clusters, with
 * URL, version, readiness and its reason, replicas and the stable/canary
 * traffic split; owners start a canary, promote it or roll it back.
 *
 * @public
 */
export function ModelServingCard() {
  const { entity } = useEntity();
  const api = useApi(mlApiRef);
  const isModel = isModelEntity(entity);
  const { namespace, name } = getCompoundEntityRef(entity);
  const ref = { namespace, name };
  const entityRef = stringifyEntityRef(entity);
  const { allowed: mayRollout } = usePermission({
    permission: mlModelRolloutPermission,
    resourceRef: entityRef,
  });
  const [rollingOut, setRollingOut] = useState<Target>();
  const [actionError, setActionError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const { value, loading, error, retry } = useAsyncRetry(
    async () =>
      isModel && api.getModelServing
        ? api.getModelServing({ namespace, name })
        : undefined,
    [api, namespace, name, isModel],
  );
  const versions = useAsync(
    async () =>
      rollingOut ? (await api.getModelVersions(ref)).versions : undefined,
    [rollingOut],
  );

  if (!isModel) {
    return (
      <InfoCard title="Serving">
        <WrongKindPanel expected="Model" />
      </InfoCard>
    );
  }
  if (!api.getModelServing) {
    return (
      <InfoCard title="Serving">
        <Typography variant="body2" color="textSecondary">
          This portal's ML API does not report serving.
        </Typography>
      </InfoCard>
    );
  }

  const act = async (request: ModelRolloutRequest) => {
    setBusy(true);
    setActionError(undefined);
    try {
      await api.rolloutModel!(ref, request);
      retry();
    } catch (e) {
      setActionError(serverMessage(e));
    } finally {
      setBusy(false);
    }
  };

  let content;
  if (error) {
    content = (
      <WarningPanel
        severity="error"
        title="Could not read where the model serves"
        message={serverMessage(error)}
      />
    );
  } else if (!value) {
    content = <Progress />;
  } else {
    const unreachable = value.errors.length > 0 && (
      <WarningPanel
        severity="warning"
        title={`${value.errors.length} cluster list(s) failed`}
        message={value.errors
          .map(e => `${e.cluster} (${e.kind}): ${e.message}`)
          .join('; ')}
      />
    );
    if (value.places.length === 0) {
      content = (
        <>
          {unreachable}
          <Typography variant="body2" paragraph>
            {value.clusters.length === 0
              ? 'Not served anywhere: no cluster is configured under ml.kubernetes.clusters, so the portal cannot look.'
              : `Not served anywhere: no InferenceService or Deployment on ${value.clusters.join(
                  ', ',
                )} is labelled for this model.`}
          </Typography>
          <Typography variant="body2" color="textSecondary">
            To serve it, use "Deploy a version" below (the Deploy a model
            template), or deploy a KServe InferenceService (or a Deployment)
            with the label <code>{`${LABEL_SERVING_MODEL}: ${name}`}</code> and
            its registry version in <code>storageUri</code>; see
            docs/serving.md.
          </Typography>
        </>
      );
    } else {
      content = (
        <>
          {unreachable}
          {loading && <Progress />}
          {actionError && (
            <WarningPanel
              severity="error"
              title="The rollout was refused"
              message={actionError}
            />
          )}
          <Box style={{ overflowX: 'auto' }}>
            <Table
              size="small"
              aria-label="Serving places"
              style={{ minWidth: 600 }}
            >
              <TableHead>
                <TableRow>
                  <TableCell style={oneLine}>Where</TableCell>
                  <TableCell style={oneLine}>Version</TableCell>
                  <TableCell style={oneLine}>Status</TableCell>
                  <TableCell style={oneLine}>Replicas</TableCell>
                  <TableCell style={oneLine}>Traffic</TableCell>
                  <TableCell style={oneLine} />
                </TableRow>
              </TableHead>
              <TableBody>
                {value.places.map(p => {
                  const target = {
                    cluster: p.cluster,
                    namespace: p.namespace,
                    name: p.name,
                  };
                  const key = `${p.cluster}/${p.kind}/${p.namespace}/${p.name}`;
                  return (
                    <TableRow key={key}>
                      <TableCell style={longToken(170)}>
                        <strong style={{ whiteSpace: 'nowrap' }}>
                          {p.cluster}
                        </strong>{' '}
                        · {p.namespace}/{p.name}
                        <Typography variant="caption" display="block">
                          {p.kind}
                        </Typography>
                        {p.url && <Link to={p.url}>{p.url}</Link>}
                      </TableCell>
                      <TableCell style={oneLine}>{p.version ?? '—'}</TableCell>
                      <TableCell style={oneLine}>
                        <Status place={p} />
                      </TableCell>
                      <TableCell style={oneLine}>{replicasText(p)}</TableCell>
                      <TableCell style={wholeWords}>
                        <TrafficSplit place={p} />
                      </TableCell>
                      <TableCell style={oneLine}>
                        {mayRollout && (
                          <Box
                            display="flex"
                            flexDirection="column"
                            style={{ gap: 4, whiteSpace: 'nowrap' }}
                          >
                            {p.canary ? (
                              <>
                                <Button
                                  size="small"
                                  variant="contained"
                                  color="primary"
                                  disabled={busy}
                                  aria-label={`Promote ${
                                    p.canary.version ?? 'canary'
                                  } on ${key}`}
                                  onClick={() =>
                                    act({ action: 'promote', ...target })
                                  }
                                >
                                  Promote
                                </Button>
                                <Button
                                  size="small"
                                  variant="outlined"
                                  disabled={busy || p.canary.percent === 0}
                                  aria-label={`Roll back on ${key}`}
                                  onClick={() =>
                                    act({ action: 'rollback', ...target })
                                  }
                                >
                                  Roll back
                                </Button>
                              </>
                            ) : (
                              <Button
                                size="small"
                                variant="outlined"
                                disabled={busy}
                                aria-label={`Roll out a version on ${key}`}
                                onClick={() => setRollingOut(target)}
                              >
                                Roll out…
                              </Button>
                            )}
                          </Box>
                        )}
                      </TableCell>
                    </TableRow>
                  );
                })}
              </TableBody>
            </Table>
          </Box>
        </>
      );
    }
  }

  return (
    <InfoCard
      title="Serving"
      deepLink={{
        title: 'Deploy a version',
        // The scaffolder fills the form from ?formData=.
        link: `${TEMPLATE_LINKS.deployment}?formData=${encodeURIComponent(
          JSON.stringify({ model: entityRef }),
        )}`,
      }}
    >
      {content}
      {rollingOut && versions.value && (
        <RolloutDialog
          target={rollingOut}
          versions={versions.value}
          onRollout={request => api.rolloutModel!(ref, request)}
          onClose={done => {
            setRollingOut(undefined);
            if (done) retry();
          }}
        />
      )}
      {rollingOut && versions.error && (
        <WarningPanel
          severity="error"
          title="Could not read the model's versions"
          message={serverMessage(versions.error)}
        />
      )}
    </InfoCard>
  );
}
