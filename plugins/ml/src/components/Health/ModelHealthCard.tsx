import { InfoCard, Progress, WarningPanel } from '@backstage/core-components';
import { Box, Grid, MenuItem, TextField, Typography } from '@material-ui/core';
import { useEntity } from '@backstage/plugin-catalog-react';
import {
  HEALTH_WINDOW_LIMITS,
  isModelEntity,
  ModelHealthResponse,
} from '@mlplatform/plugin-ml-common';
import { useState } from 'react';
import { WrongKindPanel } from '../EntityCards/common';
import { serverMessage } from '../shared/errors';
import { relativeTime } from '../shared/relativeTime';
import {
  formatBytes,
  formatMs,
  formatNumber,
  formatPercent,
  formatRate,
  formatTokenRate,
} from './format';
import { HealthChart } from './HealthChart';
import { ObjectivesTable } from './ObjectivesTable';
import { useModelHealth } from './useModelHealth';
import { VerdictBadge } from './VerdictBadge';

/** The windows the card offers; the backend accepts `5m`..`7d`. */
export const HEALTH_WINDOWS = HEALTH_WINDOW_LIMITS.choices;

/** What to do about an `unknown` verdict, from its reason and sources. */
export function unknownAdvice(health: ModelHealthResponse): string | undefined {
  const reason = health.reason ?? '';
  if (health.prometheus.state === 'not-queried') {
    return 'Not queried: this model has no mlplatform.io/metrics-selector annotation, so nothing was measured. Add the mlplatform.io/metrics-selector annotation to the Model, e.g. mlplatform.io/metrics-selector: namespace="fraud", model="fraud-detector", to see its latency, error rate, drift and alerts.';
  }
  if (/metrics-selector/.test(reason)) {
    return 'Add the mlplatform.io/metrics-selector annotation to the Model, e.g. mlplatform.io/metrics-selector: namespace="fraud", model="fraud-detector".';
  }
  if (health.prometheus.state === 'not-configured') {
    return 'Prometheus is not configured: set ml.prometheus.url in app-config.yaml.';
  }
  if (health.prometheus.state === 'unreachable') {
    return 'Check that Prometheus is running and reachable from the Backstage backend at ml.prometheus.url.';
  }
  if (health.prometheus.state === 'error') {
    return 'Prometheus refused the query; check the metrics selector and profile annotations.';
  }
  if (/no series/i.test(reason)) {
    return "Check that the model server exposes its metrics with the selector's labels and that Prometheus scrapes it (see docs/health.md).";
  }
  return undefined;
}

function targetOf(health: ModelHealthResponse, name: string) {
  return health.objectives.find(o => o.name === name)?.target;
}

/** A threshold line for an objective's target, when the Model has one. */
function sloLine(
  target: number | undefined,
  label: (target: number) => string,
) {
  return target !== undefined
    ? { value: target, label: label(target) }
    : undefined;
}

/**
 * Charts of the LLM (vLLM) and embedding (TEI) panels: only those the
 * Model's metrics profile defines, i.e. whose series came back.
 */
function servingCharts(health: ModelHealthResponse) {
  const { series, panelErrors = {} } = health;
  const has = (...panels: Array<keyof typeof series>) =>
    panels.some(p => (series[p] ?? []).length > 0 || panelErrors[p]);
  const charts = [];
  if (has('ttftP95')) {
    charts.push(
      <HealthChart
        key="ttft"
        title="Time to first token"
        format={formatMs}
        error={panelErrors.ttftP95}
        lines={[
          {
            key: 'v',
            label: 'p95',
            color: '#1565c0',
            points: series.ttftP95 ?? [],
            scale: 1000,
          },
        ]}
        threshold={sloLine(
          targetOf(health, 'ttftP95Ms'),
          t => `SLO p95 ${formatMs(t)}`,
        )}
      />,
    );
  }
  if (has('tpotP95')) {
    charts.push(
      <HealthChart
        key="tpot"
        title="Time per output token"
        format={formatMs}
        error={panelErrors.tpotP95}
        lines={[
          {
            key: 'v',
            label: 'p95',
            color: '#6a1b9a',
            points: series.tpotP95 ?? [],
            scale: 1000,
          },
        ]}
        threshold={sloLine(
          targetOf(health, 'tpotP95Ms'),
          t => `SLO p95 ${formatMs(t)}`,
        )}
      />,
    );
  }
  if (has('promptTokens', 'generationTokens')) {
    charts.push(
      <HealthChart
        key="tokens"
        title="Tokens"
        format={formatTokenRate}
        error={panelErrors.promptTokens ?? panelErrors.generationTokens}
        lines={[
          {
            key: 'in',
            label: 'prompt',
            color: '#00838f',
            points: series.promptTokens ?? [],
          },
          {
            key: 'out',
            label: 'generated',
            color: '#ef6c00',
            points: series.generationTokens ?? [],
          },
        ]}
      />,
    );
  }
  if (has('requestsRunning', 'requestsWaiting')) {
    charts.push(
      <HealthChart
        key="requests"
        title="Requests in flight"
        format={v => formatNumber(v)}
        error={panelErrors.requestsRunning ?? panelErrors.requestsWaiting}
        lines={[
          {
            key: 'running',
            label: 'running',
            color: '#2e7d32',
            points: series.requestsRunning ?? [],
          },
          {
            key: 'waiting',
            label: 'waiting',
            color: '#d32f2f',
            points: series.requestsWaiting ?? [],
          },
        ].filter(line => line.points.length > 0)}
      />,
    );
  }
  if (has('kvCacheUsage')) {
    charts.push(
      <HealthChart
        key="kvCache"
        title="KV cache"
        format={formatPercent}
        error={panelErrors.kvCacheUsage}
        lines={[
          {
            key: 'v',
            label: 'KV-cache use',
            color: '#4527a0',
            points: series.kvCacheUsage ?? [],
          },
        ]}
        threshold={sloLine(
          targetOf(health, 'kvCacheUsage'),
          t => `SLO ${formatPercent(t)}`,
        )}
      />,
    );
  }
  if (has('batchSize')) {
    charts.push(
      <HealthChart
        key="batch"
        title="Batch size"
        format={v => formatNumber(v)}
        error={panelErrors.batchSize}
        lines={[
          {
            key: 'v',
            label: 'mean batch size',
            color: '#00838f',
            points: series.batchSize ?? [],
          },
        ]}
      />,
    );
  }
  return charts;
}

function Charts(props: { health: ModelHealthResponse }) {
  const { health } = props;
  const { series, panelErrors = {} } = health;
  const latencyTarget = targetOf(health, 'latencyP95Ms');
  const errorTarget = targetOf(health, 'errorRate');
  const driftTarget = targetOf(health, 'driftScore');
  const charts = [
    <HealthChart
      key="latency"
      title="Latency"
      format={formatMs}
      error={
        panelErrors.latencyP50 ??
        panelErrors.latencyP95 ??
        panelErrors.latencyP99
      }
      lines={[
        {
          key: 'p50',
          label: 'p50',
          color: '#2e7d32',
          points: series.latencyP50 ?? [],
          scale: 1000,
        },
        {
          key: 'p95',
          label: 'p95',
          color: '#1565c0',
          points: series.latencyP95 ?? [],
          scale: 1000,
        },
        {
          key: 'p99',
          label: 'p99',
          color: '#6a1b9a',
          points: series.latencyP99 ?? [],
          scale: 1000,
        },
      ]}
      threshold={
        latencyTarget !== undefined
          ? {
              value: latencyTarget,
              label: `SLO p95 ${formatMs(latencyTarget)}`,
            }
          : undefined
      }
    />,
    <HealthChart
      key="errors"
      title="Error rate"
      format={formatPercent}
      error={panelErrors.errorRate}
      lines={[
        {
          key: 'v',
          label: 'error rate',
          color: '#d32f2f',
          points: series.errorRate ?? [],
        },
      ]}
      threshold={
        errorTarget !== undefined
          ? { value: errorTarget, label: `SLO ${formatPercent(errorTarget)}` }
          : undefined
      }
    />,
    <HealthChart
      key="throughput"
      title="Throughput"
      format={formatRate}
      error={panelErrors.throughput}
      lines={[
        {
          key: 'v',
          label: 'throughput',
          color: '#1565c0',
          points: series.throughput ?? [],
        },
      ]}
    />,
    ...servingCharts(health),
    <HealthChart
      key="drift"
      title="Drift"
      format={v => formatNumber(v)}
      error={panelErrors.drift}
      lines={[
        {
          key: 'v',
          label: 'drift',
          color: '#ef6c00',
          points: series.drift ?? [],
        },
      ]}
      threshold={
        driftTarget !== undefined
          ? {
              value: driftTarget,
              label: `threshold ${formatNumber(driftTarget)}`,
            }
          : undefined
      }
    />,
    <HealthChart
      key="gpu"
      title="GPU utilisation"
      format={v => `${formatNumber(v)} %`}
      error={panelErrors.gpuUtilization}
      lines={[
        {
          key: 'v',
          label: 'GPU utilisation',
          color: '#00838f',
          points: series.gpuUtilization ?? [],
        },
      ]}
    />,
    <HealthChart
      key="gpuMemory"
      title="GPU memory"
      format={formatBytes}
      error={panelErrors.gpuMemoryUsed}
      lines={[
        {
          key: 'v',
          label: 'GPU memory',
          color: '#4527a0',
          points: series.gpuMemoryUsed ?? [],
        },
      ]}
    />,
  ];
  return (
    <Grid container spacing={2}>
      {charts.map(chart => (
        <Grid item xs={12} md={6} key={chart.key}>
          {chart}
        </Grid>
      ))}
    </Grid>
  );
}

function CurrentValues(props: { health: ModelHealthResponse }) {
  const c = props.health.current;
  const items: Array<[string, string | undefined]> = [
    ['p50', c.p50 !== null ? formatMs(c.p50 * 1000) : undefined],
    ['p95', c.p95 !== null ? formatMs(c.p95 * 1000) : undefined],
    ['p99', c.p99 !== null ? formatMs(c.p99 * 1000) : undefined],
    ['errors', c.errorRate !== null ? formatPercent(c.errorRate) : undefined],
    [
      'throughput',
      c.throughput !== null ? formatRate(c.throughput) : undefined,
    ],
    ['drift', c.drift !== null ? formatNumber(c.drift) : undefined],
    [
      'GPU',
      c.gpuUtilization !== null
        ? `${formatNumber(c.gpuUtilization)} %`
        : undefined,
    ],
    [
      'GPU memory',
      c.gpuMemoryBytes !== null ? formatBytes(c.gpuMemoryBytes) : undefined,
    ],
    [
      'availability',
      c.availability !== null ? formatPercent(c.availability) : undefined,
    ],
    ['TTFT p95', c.ttftP95 !== null ? formatMs(c.ttftP95 * 1000) : undefined],
    ['TPOT p95', c.tpotP95 !== null ? formatMs(c.tpotP95 * 1000) : undefined],
    [
      'tokens in',
      c.promptTokensPerSecond !== null
        ? formatTokenRate(c.promptTokensPerSecond)
        : undefined,
    ],
    [
      'tokens out',
      c.generationTokensPerSecond !== null
        ? formatTokenRate(c.generationTokensPerSecond)
        : undefined,
    ],
    [
      'running',
      c.requestsRunning !== null ? formatNumber(c.requestsRunning) : undefined,
    ],
    [
      'waiting',
      c.requestsWaiting !== null ? formatNumber(c.requestsWaiting) : undefined,
    ],
    [
      'KV cache',
      c.kvCacheUsage !== null ? formatPercent(c.kvCacheUsage) : undefined,
    ],
    ['batch', c.batchSize !== null ? formatNumber(c.batchSize) : undefined],
  ];
  const known = items.filter(([, v]) => v !== undefined);
  if (known.length === 0) return null;
  return (
    <Typography variant="body2" color="textSecondary">
      {known.map(([k, v]) => `${k} ${v}`).join(' · ')}
    </Typography>
  );
}

/**
 * Health of a Model against its SLO (`entity-card:ml/model-health`):
 * verdict, objectives, a window picker and charts from Prometheus.
 *
 * @public
 */
export function ModelHealthCard() {
  const { entity } = useEntity();
  const [window, setWindow] = useState<string>('1h');
  const isModel = isModelEntity(entity);
  const { value, loading, error } = useModelHealth(window, isModel);

  if (!isModel) {
    return (
      <InfoCard title="Health">
        <WrongKindPanel expected="Model" />
      </InfoCard>
    );
  }

  const picker = (
    <TextField
      select
      size="small"
      label="Window"
      value={window}
      onChange={e => setWindow(e.target.value as string)}
      inputProps={{ 'aria-label': 'Window' }}
    >
      {HEALTH_WINDOWS.map(w => (
        <MenuItem key={w} value={w}>
          {w}
        </MenuItem>
      ))}
    </TextField>
  );

  let content;
  if (error) {
    content = (
      <WarningPanel
        severity="error"
        title="Could not read the model's health"
        message={serverMessage(error)}
      />
    );
  } else if (loading && !value) {
    content = <Progress />;
  } else if (value) {
    const advice =
      value.verdict === 'unknown' ? unknownAdvice(value) : undefined;
    content = (
      <>
        {loading && <Progress />}
        <Box display="flex" alignItems="center" mb={1} style={{ gap: 8 }}>
          <VerdictBadge verdict={value.verdict} />
          {value.reason && (
            <Typography variant="body2" data-testid="health-reason">
              {value.reason}
            </Typography>
          )}
        </Box>
        {advice && (
          <Typography variant="body2" color="textSecondary" paragraph>
            {advice}
          </Typography>
        )}
        <CurrentValues health={value} />
        <ObjectivesTable
          objectives={value.objectives}
          measured={
            value.prometheus.state === 'ok' ||
            value.prometheus.state === 'error'
          }
        />
        {value.prometheus.state === 'ok' &&
          Object.values(value.series).some(s => s.length > 0) && (
            <Box mt={2}>
              <Charts health={value} />
            </Box>
          )}
        <Typography variant="caption" color="textSecondary">
          Window {value.window}
          {value.profile ? ` · profile ${value.profile}` : ''} · read{' '}
          {relativeTime(value.checkedAt) ?? value.checkedAt}
        </Typography>
      </>
    );
  }

  return (
    <InfoCard
      title="Health"
      action={
        <Box mt={1} mr={1}>
          {picker}
        </Box>
      }
    >
      {content}
    </InfoCard>
  );
}
