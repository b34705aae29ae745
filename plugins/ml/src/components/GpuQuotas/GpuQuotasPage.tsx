import {
  Content,
  ContentHeader,
  EmptyState,
  Progress,
  ResponseErrorPanel,
  SupportButton,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import {
  Box,
  Button,
  Grid,
  makeStyles,
  MenuItem,
  TextField,
  Typography,
} from '@material-ui/core';
import {
  GpuQuotasResponse,
  NamespaceGpuQuota,
} from '@mlplatform/plugin-ml-common';
import { useSearchParams } from 'react-router-dom';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { mlApiRef } from '../../api';
import { ClusterWarnings } from './ClusterWarnings';
import { GpuGaugeLegend } from './GpuGauge';
import { QuotaUsageCard } from './QuotaUsageCard';
import { IdleGpusCard } from '../Notebooks/IdleGpusCard';
import { teamLabel } from '../shared/quotas';
import { QueueInsights } from '../QueueInsights';

const NO_TEAM = '';

const useStyles = makeStyles(theme => ({
  toolbar: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    gap: theme.spacing(2),
    marginBottom: theme.spacing(2),
  },
  filter: { minWidth: 200 },
  spacer: { flexGrow: 1 },
  team: { margin: theme.spacing(1, 0, 1.5) },
}));

function byTeam(quotas: NamespaceGpuQuota[]) {
  const groups = new Map<string, NamespaceGpuQuota[]>();
  for (const q of quotas) {
    const key = q.team ?? NO_TEAM;
    groups.set(key, [...(groups.get(key) ?? []), q]);
  }
  return [...groups.entries()].sort(([a], [b]) => {
    if (a === NO_TEAM) return 1;
    if (b === NO_TEAM) return -1;
    return teamLabel(a).localeCompare(teamLabel(b));
  });
}

function TeamHeading(props: { team: string }) {
  const classes = useStyles();
  return (
    <Typography variant="h5" component="h2" className={classes.team}>
      {props.team === NO_TEAM ? (
        'No owning team'
      ) : (
        <EntityRefLink entityRef={props.team} defaultKind="group" />
      )}
    </Typography>
  );
}

function Filters(props: { data: GpuQuotasResponse }) {
  const classes = useStyles();
  const [params, setParams] = useSearchParams();
  const teams = [
    ...new Set(props.data.quotas.flatMap(q => (q.team ? [q.team] : []))),
  ].sort((a, b) => teamLabel(a).localeCompare(teamLabel(b)));
  const clusters = [
    ...new Set([
      ...props.data.clusters.map(c => c.name),
      ...props.data.quotas.map(q => q.cluster),
    ]),
  ].sort();
  const set = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };
  return (
    <>
      <TextField
        select
        size="small"
        variant="outlined"
        label="Team"
        className={classes.filter}
        value={params.get('team') ?? ''}
        onChange={e => set('team', e.target.value)}
        SelectProps={{ SelectDisplayProps: { 'aria-label': 'Team' } as any }}
      >
        <MenuItem value="">All teams</MenuItem>
        {teams.map(t => (
          <MenuItem key={t} value={t}>
            {teamLabel(t)}
          </MenuItem>
        ))}
      </TextField>
      <TextField
        select
        size="small"
        variant="outlined"
        label="Cluster"
        className={classes.filter}
        value={params.get('cluster') ?? ''}
        onChange={e => set('cluster', e.target.value)}
        SelectProps={{
          SelectDisplayProps: { 'aria-label': 'Cluster' } as any,
        }}
      >
        <MenuItem value="">All clusters</MenuItem>
        {clusters.map(c => (
          <MenuItem key={c} value={c}>
            {c}
          </MenuItem>
        ))}
      </TextField>
    </>
  );
}

function QuotaGroups(props: { data: GpuQuotasResponse; now?: number }) {
  const [params, setParams] = useSearchParams();
  const team = params.get('team');
  const cluster = params.get('cluster');
  const { data } = props;

  if (data.clusters.length === 0) {
    return (
      <EmptyState
        missing="info"
        title="No Kubernetes clusters configured"
        description={
          <>
            The ML backend reads GPU quotas from the clusters listed under{' '}
            <code>ml.kubernetes.clusters</code> in app-config.yaml. Add a
            cluster there (name, URL and credentials) and restart the backend.
          </>
        }
      />
    );
  }
  if (data.quotas.length === 0) {
    const answered = data.clusters.filter(c => c.available).map(c => c.name);
    return (
      <EmptyState
        missing="data"
        title={
          answered.length === 0
            ? 'No cluster answered'
            : 'No GPU quotas on the configured clusters'
        }
        description={
          answered.length === 0
            ? 'None of the configured clusters could be read, see the warnings above. Quotas appear here once a cluster answers.'
            : `${answered.join(
                ', ',
              )} answered, but no namespace there has a ResourceQuota on requests.nvidia.com/* nor a Kueue LocalQueue whose ClusterQueue grants GPUs. Ask the platform team to create one for your team's namespace.`
        }
      />
    );
  }
  const shown = data.quotas.filter(
    q => (!team || q.team === team) && (!cluster || q.cluster === cluster),
  );
  if (shown.length === 0) {
    return (
      <EmptyState
        missing="data"
        title="No quotas match these filters"
        description={`No GPU quota${team ? ` of ${teamLabel(team)}` : ''}${
          cluster ? ` on ${cluster}` : ''
        }. Choose another team or cluster.`}
        action={
          <Button
            variant="outlined"
            onClick={() => setParams(new URLSearchParams(), { replace: true })}
          >
            Clear filters
          </Button>
        }
      />
    );
  }
  return (
    <>
      {byTeam(shown).map(([teamRef, quotas]) => (
        <section key={teamRef || 'none'}>
          <TeamHeading team={teamRef} />
          <Grid container spacing={2}>
            {quotas.map(q => (
              <Grid item xs={12} xl={6} key={`${q.cluster}/${q.namespace}`}>
                <QuotaUsageCard quota={q} now={props.now} />
              </Grid>
            ))}
          </Grid>
        </section>
      ))}
    </>
  );
}

/** Idle GPUs of the team and cluster the filters pick. */
function IdleGpus() {
  const [params] = useSearchParams();
  return (
    <Box mb={2}>
      <IdleGpusCard
        team={params.get('team') ?? undefined}
        cluster={params.get('cluster') ?? undefined}
      />
    </Box>
  );
}

/**
 * GPU quotas of every team on every cluster: hard / used / free /
 * borrowable per GPU resource and Kueue flavor, and what waits for GPUs.
 *
 * @public
 */
export function GpuQuotasPage(props: { now?: number }) {
  const classes = useStyles();
  const mlApi = useApi(mlApiRef);
  const { value, loading, error, retry } = useAsyncRetry(
    () => mlApi.getQuotas(),
    [mlApi],
  );

  let body;
  if (loading && !value) {
    body = <Progress />;
  } else if (error) {
    body = (
      <ResponseErrorPanel title="Could not load GPU quotas" error={error} />
    );
  } else if (value) {
    body = (
      <>
        <ClusterWarnings
          clusters={value.clusters}
          consequence="Quotas on this cluster are missing below; the other clusters are up to date. Check the cluster's URL and credentials under ml.kubernetes.clusters."
        />
        <div className={classes.toolbar}>
          <Filters data={value} />
          <div className={classes.spacer} />
          <GpuGaugeLegend />
          <Button size="small" variant="outlined" onClick={retry}>
            Refresh
          </Button>
        </div>
        <IdleGpus />
        <QuotaGroups data={value} now={props.now} />
        <QueueInsights data={value} />
      </>
    );
  }

  return (
    <Content>
      <ContentHeader title="GPU quotas">
        <SupportButton>
          GPUs each team may use per cluster, from Kubernetes ResourceQuotas and
          Kueue ClusterQueues, and the workloads waiting for them.
        </SupportButton>
      </ContentHeader>
      <Box>{body}</Box>
    </Content>
  );
}
