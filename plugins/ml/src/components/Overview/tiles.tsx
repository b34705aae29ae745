/*
 * The tiles of the ML overview: each one a count or a bar at a glance, the
 * few rows that need a look, and a link to where the detail is. An empty
 * tile says what is missing and, for a new team, which template starts it.
 */
import { InfoCard, Link } from '@backstage/core-components';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import {
  Box,
  Button,
  LinearProgress,
  List,
  ListItem,
  ListItemText,
  makeStyles,
  Tooltip,
  Typography,
} from '@material-ui/core';
import {
  describeIdle,
  formatIdleDuration,
  MlOverviewResponse,
  ModelHealthVerdict,
  OVERVIEW_RUNS_HOURS,
} from '@mlplatform/plugin-ml-common';
import { SeverityChip, VerdictBadge } from '../Health/VerdictBadge';
import { relativeTime } from '../shared/relativeTime';

/** Where the scaffolder serves the ML templates (templates/ in this repo). */
export const TEMPLATE_LINKS = {
  notebook: '/create/templates/default/gpu-notebook',
  project: '/create/templates/default/ml-project',
  deployment: '/create/templates/default/model-deployment',
};

/** Rows a tile lists before "and N more". */
const ROWS = 5;
/** Team and cluster rows the GPUs tile lists, busiest first. */
const GPU_ROWS = 10;

const VERDICT_COLOR: Record<ModelHealthVerdict, string> = {
  failing: '#d32f2f',
  degraded: '#ed6c02',
  unknown: '#9e9e9e',
  healthy: '#2e7d32',
};

const useStyles = makeStyles(theme => ({
  big: { fontSize: '2.5rem', fontWeight: 600, lineHeight: 1.1 },
  bar: {
    display: 'flex',
    height: 12,
    borderRadius: 6,
    overflow: 'hidden',
    margin: theme.spacing(1, 0),
    background: theme.palette.action.hover,
  },
  legend: { display: 'flex', gap: theme.spacing(2), flexWrap: 'wrap' },
  row: { paddingLeft: 0, paddingRight: 0 },
  gpuBar: { height: 8, borderRadius: 4, marginTop: theme.spacing(0.5) },
  empty: { padding: theme.spacing(1, 0) },
}));

function Empty(props: {
  text: string;
  action?: { label: string; to: string };
}) {
  const classes = useStyles();
  return (
    <Box className={classes.empty}>
      <Typography variant="body2" color="textSecondary" paragraph>
        {props.text}
      </Typography>
      {props.action && (
        <Button
          variant="outlined"
          color="primary"
          size="small"
          component={Link as any}
          to={props.action.to}
        >
          {props.action.label}
        </Button>
      )}
    </Box>
  );
}

/** "and N more" under a list that shows `shown` (default {@link ROWS}) of `total`. */
function More(props: { total: number; shown?: number }) {
  const shown = props.shown ?? ROWS;
  if (props.total <= shown) return null;
  return (
    <Typography variant="caption" color="textSecondary">
      and {props.total - shown} more
    </Typography>
  );
}

/** Models by verdict as one stacked bar, and the worst ones with their reason. */
export function ModelsTile(props: { models: MlOverviewResponse['models'] }) {
  const classes = useStyles();
  const { total, byVerdict, items, evaluating } = props.models;
  const needsLook = items.filter(m => m.verdict !== 'healthy');
  const verdicts: ModelHealthVerdict[] = [
    'failing',
    'degraded',
    'unknown',
    'healthy',
  ];
  return (
    <InfoCard
      title="Model health"
      subheader={`${total} model${total === 1 ? '' : 's'} in the catalog`}
      deepLink={{ title: 'All models', link: '/catalog?filters[kind]=model' }}
    >
      {total === 0 ? (
        <Empty
          text="No models in the catalog yet. An ML project registers its model, pipeline and dataset."
          action={{ label: 'Create an ML project', to: TEMPLATE_LINKS.project }}
        />
      ) : (
        <>
          <div
            className={classes.bar}
            role="img"
            aria-label={verdicts
              .map(v => `${byVerdict[v] ?? 0} ${v}`)
              .join(', ')}
          >
            {verdicts.map(v =>
              byVerdict[v] ? (
                <div
                  key={v}
                  style={{
                    width: `${(100 * byVerdict[v]) / total}%`,
                    background: VERDICT_COLOR[v],
                  }}
                />
              ) : null,
            )}
          </div>
          <div className={classes.legend}>
            {verdicts.map(v => (
              <Typography key={v} variant="body2">
                <span style={{ color: VERDICT_COLOR[v] }}>●</span>{' '}
                {byVerdict[v] ?? 0} {v}
              </Typography>
            ))}
          </div>
          <List dense aria-label="Models that need a look">
            {needsLook.slice(0, ROWS).map(m => (
              <ListItem key={m.entityRef} className={classes.row}>
                <Box mr={1}>
                  <VerdictBadge verdict={m.verdict} size="small" />
                </Box>
                <ListItemText
                  primary={
                    <EntityRefLink entityRef={m.entityRef} hideIcon>
                      {m.title}
                    </EntityRefLink>
                  }
                  secondary={[m.owner?.name, m.reason]
                    .filter(Boolean)
                    .join(' · ')}
                />
              </ListItem>
            ))}
          </List>
          <More total={total - (byVerdict.healthy ?? 0)} />
          {evaluating > 0 && (
            <Typography variant="caption" color="textSecondary" component="div">
              {evaluating} not evaluated yet: being checked now.
            </Typography>
          )}
          {needsLook.length === 0 && (
            <Typography variant="body2">
              Every model meets its objectives.
            </Typography>
          )}
        </>
      )}
    </InfoCard>
  );
}

/** Firing alerts across every model, newest first. */
export function AlertsTile(props: { alerts: MlOverviewResponse['alerts'] }) {
  const classes = useStyles();
  const { items, total } = props.alerts;
  return (
    <InfoCard title="Firing alerts" subheader="Across every model">
      <Typography className={classes.big}>{total}</Typography>
      {items.length === 0 ? (
        <Empty text="No alerts are firing for any model." />
      ) : (
        <List dense aria-label="Firing alerts">
          {items.slice(0, ROWS).map(a => (
            <ListItem
              key={`${a.modelRef}/${a.name}/${a.startsAt}`}
              className={classes.row}
            >
              <Box mr={1}>
                <SeverityChip severity={a.severity} />
              </Box>
              <ListItemText
                primary={
                  <>
                    {a.name} on{' '}
                    <EntityRefLink entityRef={a.modelRef} hideIcon>
                      {a.modelTitle}
                    </EntityRefLink>
                  </>
                }
                secondary={[a.owner?.name, a.summary, relativeTime(a.startsAt)]
                  .filter(Boolean)
                  .join(' · ')}
              />
            </ListItem>
          ))}
        </List>
      )}
      <More total={total} />
    </InfoCard>
  );
}

/** Runs that failed or are stuck in the last day. */
export function RunsTile(props: {
  pipelines: MlOverviewResponse['pipelines'];
}) {
  const classes = useStyles();
  const { total, items, problems, failedOrStuck } = props.pipelines;
  return (
    <InfoCard
      title="Pipeline runs that need a look"
      subheader={`Failed or stuck in the last ${OVERVIEW_RUNS_HOURS} h, across ${total} pipeline${
        total === 1 ? '' : 's'
      }`}
      deepLink={{ title: 'All pipelines', link: '../pipelines' }}
    >
      <Typography className={classes.big}>{failedOrStuck}</Typography>
      {total === 0 && (
        <Empty
          text="No pipelines in the catalog yet. An ML project comes with a training pipeline."
          action={{ label: 'Create an ML project', to: TEMPLATE_LINKS.project }}
        />
      )}
      {total > 0 && items.length === 0 && (
        <Empty text="No run failed or got stuck in the last day." />
      )}
      {items.length > 0 && (
        <List dense aria-label="Runs that need a look">
          {items.slice(0, ROWS).map(r => (
            <ListItem
              key={`${r.pipelineRef}/${r.runId}`}
              className={classes.row}
            >
              <ListItemText
                primary={
                  <>
                    <EntityRefLink entityRef={r.pipelineRef} hideIcon>
                      {r.pipelineTitle}
                    </EntityRefLink>{' '}
                    ·{' '}
                    {r.problem === 'failed' ? 'failed' : `stuck (${r.status})`}
                  </>
                }
                secondary={[
                  r.runId,
                  r.owner?.name,
                  r.message,
                  relativeTime(r.at),
                ]
                  .filter(Boolean)
                  .join(' · ')}
              />
            </ListItem>
          ))}
        </List>
      )}
      <More total={failedOrStuck} />
      {problems.length > 0 && (
        <Tooltip
          title={problems.map(p => `${p.source}: ${p.error}`).join('\n')}
        >
          <Typography variant="caption" color="error">
            {problems.length} pipeline{problems.length === 1 ? '' : 's'} could
            not be read
          </Typography>
        </Tooltip>
      )}
    </InfoCard>
  );
}

/** GPUs per team and cluster: a used / quota bar, free, and what waits. */
export function GpusTile(props: { gpus: MlOverviewResponse['gpus'] }) {
  const classes = useStyles();
  const { items, clusters, total } = props.gpus;
  const down = clusters.filter(c => !c.available);
  return (
    <InfoCard
      title="GPUs per team"
      subheader="Used of quota, free, and asked for by waiting workloads"
      deepLink={{ title: 'GPU quotas', link: '../quotas' }}
    >
      {clusters.length === 0 && (
        <Empty text="No Kubernetes clusters are configured (ml.kubernetes.clusters)." />
      )}
      {clusters.length > 0 && items.length === 0 && (
        <Empty
          text="No GPU quotas on the clusters yet. A GPU notebook is the quickest way to start."
          action={{
            label: 'Create a GPU notebook',
            to: TEMPLATE_LINKS.notebook,
          }}
        />
      )}
      <List dense aria-label="GPUs per team">
        {items.slice(0, GPU_ROWS).map(g => {
          const label = g.team?.name ?? 'No owning team';
          const query = new URLSearchParams({
            cluster: g.cluster,
            ...(g.team ? { team: g.team.ref } : {}),
          });
          return (
            <ListItem
              key={`${g.cluster}/${g.team?.ref ?? ''}`}
              className={classes.row}
            >
              <ListItemText
                disableTypography
                primary={
                  <Typography variant="body2">
                    <Link to={`../quotas?${query}`}>{label}</Link> on{' '}
                    {g.cluster}: {g.used} / {g.hard} used · {g.free} free
                    {g.pendingWorkloads > 0 &&
                      ` · ${g.pendingDemand} asked for by ${
                        g.pendingWorkloads
                      } waiting workload${g.pendingWorkloads === 1 ? '' : 's'}`}
                  </Typography>
                }
                secondary={
                  <LinearProgress
                    className={classes.gpuBar}
                    variant="determinate"
                    value={g.hard ? Math.min(100, (100 * g.used) / g.hard) : 0}
                    color={g.pendingWorkloads ? 'secondary' : 'primary'}
                    aria-label={`${label} on ${g.cluster}: ${g.used} of ${g.hard} GPUs used`}
                  />
                }
              />
            </ListItem>
          );
        })}
      </List>
      <More total={total} shown={GPU_ROWS} />
      {down.map(c => (
        <Typography
          key={c.name}
          variant="caption"
          color="error"
          component="div"
        >
          {c.name} did not answer: {c.error ?? 'no answer'}
        </Typography>
      ))}
    </InfoCard>
  );
}

/** Why the idle list is unknown, in the words of the GPU quota page's card. */
const IDLE_UNKNOWN: Record<
  Exclude<MlOverviewResponse['idleNotebooks']['status'], 'ok'>,
  string
> = {
  'no-prometheus': 'Idle GPUs are not configured.',
  'no-dcgm': 'No GPU utilisation metrics.',
  unavailable: 'Prometheus did not answer.',
};

/** Notebooks holding GPUs that DCGM has seen idle, longest idle first. */
export function IdleNotebooksTile(props: {
  idle: MlOverviewResponse['idleNotebooks'];
}) {
  const classes = useStyles();
  const { status, message, items, gpus, threshold, afterSeconds, total } =
    props.idle;
  const rule = `below ${threshold}% GPU for over ${formatIdleDuration(
    afterSeconds,
  )}`;
  return (
    <InfoCard
      title="Notebooks holding idle GPUs"
      subheader={
        status === 'ok'
          ? `Where GPU utilisation is known: ${rule}`
          : 'Where GPU utilisation is known'
      }
      deepLink={{ title: 'GPU quotas', link: '../quotas' }}
    >
      {status !== 'ok' ? (
        <Empty text={`Not known. ${IDLE_UNKNOWN[status]} ${message ?? ''}`} />
      ) : (
        <>
          <Typography className={classes.big}>{gpus}</Typography>
          <Typography variant="body2" color="textSecondary">
            idle GPU{gpus === 1 ? '' : 's'} in {total} notebook
            {total === 1 ? '' : 's'}
          </Typography>
          {total === 0 && <Empty text="No notebook holds idle GPUs." />}
          <List dense aria-label="Notebooks holding idle GPUs">
            {items.slice(0, ROWS).map(n => (
              <ListItem
                key={`${n.cluster}/${n.namespace}/${n.name}`}
                className={classes.row}
              >
                <ListItemText
                  primary={`${n.name} · ${n.gpus} GPU${
                    n.gpus === 1 ? '' : 's'
                  } · ${describeIdle(n)}`}
                  secondary={[
                    n.createdBy.name,
                    n.team?.name,
                    `${n.namespace} on ${n.cluster}`,
                    n.exempt ? 'exempt from the idle policy' : undefined,
                  ]
                    .filter(Boolean)
                    .join(' · ')}
                />
              </ListItem>
            ))}
          </List>
          <More total={total} />
        </>
      )}
    </InfoCard>
  );
}

/** Datasets past their freshness objective, by the verdicts already reached. */
export function StaleDatasetsTile(props: {
  datasets: MlOverviewResponse['datasets'];
}) {
  const classes = useStyles();
  const { total, withObjective, known, stale, items } = props.datasets;
  const unknown = withObjective - known;
  return (
    <InfoCard
      title="Datasets past their freshness"
      subheader={`Where known: ${known} of ${withObjective} Dataset${
        withObjective === 1 ? '' : 's'
      } with a freshness objective checked`}
      deepLink={{
        title: 'All datasets',
        link: '/catalog?filters[kind]=dataset',
      }}
    >
      {total === 0 && (
        <Empty
          text="No datasets in the catalog yet. An ML project registers its dataset with a freshness objective."
          action={{ label: 'Create an ML project', to: TEMPLATE_LINKS.project }}
        />
      )}
      {total > 0 && withObjective === 0 && (
        <Empty text="No Dataset has a freshness objective: set spec.freshness.maxAge (e.g. 24h) to get a verdict." />
      )}
      {withObjective > 0 && (
        <>
          <Typography className={classes.big}>{stale}</Typography>
          {known > 0 && stale === 0 && (
            <Empty text="Every Dataset checked is within its objective." />
          )}
          <List dense aria-label="Datasets past their freshness">
            {items.slice(0, ROWS).map(d => (
              <ListItem key={d.entityRef} className={classes.row}>
                <ListItemText
                  primary={
                    <EntityRefLink entityRef={d.entityRef} hideIcon>
                      {d.title}
                    </EntityRefLink>
                  }
                  secondary={[
                    d.owner?.name,
                    d.reason,
                    `checked ${relativeTime(d.checkedAt)}`,
                  ]
                    .filter(Boolean)
                    .join(' · ')}
                />
              </ListItem>
            ))}
          </List>
          <More total={stale} />
          {unknown > 0 && (
            <Typography variant="caption" color="textSecondary">
              {unknown} not checked yet: a verdict is known once the Dataset's
              page has read its storage.
            </Typography>
          )}
        </>
      )}
    </InfoCard>
  );
}
