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
  getModelCardInfo,
  isModelEntity,
  mlModelPromotePermission,
  ModelVersion,
} from '@mlplatform/plugin-ml-common';
import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import {
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip as ChartTooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { mlApiRef } from '../../api';
import { MissingFields, WrongKindPanel } from '../EntityCards/common';
import { formatBytes, formatNumber } from '../Health/format';
import { serverMessage } from '../shared/errors';
import { relativeTime } from '../shared/relativeTime';
import { PromoteDialog } from './PromoteDialog';
import { oneLine, wholeWords } from '../shared/tableCells';

function metricNames(versions: ModelVersion[]): string[] {
  return [...new Set(versions.flatMap(v => Object.keys(v.metrics)))].sort();
}

/** A metric across versions, oldest to newest. */
function MetricSparkline(props: { versions: ModelVersion[] }) {
  const names = metricNames(props.versions);
  const [metric, setMetric] = useState(names[0]);
  if (!metric) return null;
  const data = [...props.versions]
    .reverse()
    .map(v => ({ version: v.version, value: v.metrics[metric] ?? null }));
  return (
    <Box display="flex" alignItems="center" mb={1} style={{ gap: 16 }}>
      <TextField
        select
        size="small"
        label="Metric"
        value={metric}
        onChange={e => setMetric(e.target.value as string)}
        inputProps={{ 'aria-label': 'Metric' }}
        style={{ minWidth: 120 }}
      >
        {names.map(n => (
          <MenuItem key={n} value={n}>
            {n}
          </MenuItem>
        ))}
      </TextField>
      <Box flexGrow={1} role="figure" aria-label={`${metric} across versions`}>
        <ResponsiveContainer
          width="100%"
          height={64}
          initialDimension={{ width: 300, height: 64 }}
        >
          <LineChart
            data={data}
            margin={{ top: 4, right: 8, bottom: 4, left: 8 }}
          >
            <XAxis dataKey="version" hide />
            <YAxis hide domain={['auto', 'auto']} />
            <ChartTooltip
              formatter={v =>
                typeof v === 'number' ? formatNumber(v, 4) : '—'
              }
            />
            <Line
              dataKey="value"
              name={metric}
              stroke="#1565c0"
              isAnimationActive={false}
              connectNulls
            />
          </LineChart>
        </ResponsiveContainer>
      </Box>
    </Box>
  );
}

/** The state of a failed versions request, in the backend's words. */
function VersionsError(props: { error: Error }) {
  const message = serverMessage(props.error);
  if (/ml\.registries/.test(message)) {
    return (
      <WarningPanel
        severity="info"
        title="Registry not configured"
        message={
          <>
            {message}. Add the registry to <code>ml.registries</code> in
            app-config.yaml.
          </>
        }
      />
    );
  }
  return (
    <WarningPanel
      severity="error"
      title="Could not read the model's versions"
      message={message}
    />
  );
}

/**
 * Versions of a Model in its registry (`entity-card:ml/model-versions`),
 * newest first, with a metric sparkline and promotion of aliases.
 *
 * @public
 */
export function ModelVersionsCard() {
  const { entity } = useEntity();
  const api = useApi(mlApiRef);
  const isModel = isModelEntity(entity);
  const registryRef = getModelCardInfo(entity)?.registryRef;
  const { namespace, name } = getCompoundEntityRef(entity);
  const entityRef = stringifyEntityRef(entity);
  const { allowed: mayPromote, loading: permissionLoading } = usePermission({
    permission: mlModelPromotePermission,
    resourceRef: entityRef,
  });
  const [promoting, setPromoting] = useState<ModelVersion>();
  const { value, loading, error, retry } = useAsyncRetry(
    async () =>
      isModel && registryRef
        ? api.getModelVersions({ namespace, name })
        : undefined,
    [api, namespace, name, isModel, registryRef],
  );

  if (!isModel) {
    return (
      <InfoCard title="Versions">
        <WrongKindPanel expected="Model" />
      </InfoCard>
    );
  }
  if (!registryRef) {
    return (
      <InfoCard title="Versions">
        <MissingFields
          title="This model has no registry: add spec.registry"
          yaml={'spec:\n  registry: oci://registry.example.com/models/my-model'}
        />
      </InfoCard>
    );
  }

  let content;
  if (error) {
    content = <VersionsError error={error} />;
  } else if (!value) {
    content = <Progress />;
  } else if (value.versions.length === 0) {
    content = (
      <Typography variant="body2" color="textSecondary">
        No versions in {value.registryRef} yet. Push one with ml-push.
      </Typography>
    );
  } else {
    const versions = value.versions;
    content = (
      <>
        {loading && <Progress />}
        <Typography variant="body2" color="textSecondary" paragraph>
          {value.registryRef} · registry {value.registry}
        </Typography>
        <MetricSparkline versions={versions} />
        <Box style={{ overflowX: 'auto' }}>
          <Table size="small" aria-label="Versions" style={{ minWidth: 640 }}>
            <TableHead>
              <TableRow style={oneLine}>
                <TableCell style={oneLine}>Version</TableCell>
                <TableCell style={oneLine}>Created</TableCell>
                <TableCell style={oneLine}>Aliases</TableCell>
                <TableCell style={oneLine}>Metrics</TableCell>
                <TableCell style={oneLine}>Source run</TableCell>
                <TableCell style={oneLine}>Size</TableCell>
                <TableCell style={oneLine} />
              </TableRow>
            </TableHead>
            <TableBody>
              {versions.map(v => (
                <TableRow key={v.version}>
                  <TableCell style={oneLine}>
                    <Tooltip title={v.digest ?? ''}>
                      <strong>{v.version}</strong>
                    </Tooltip>
                  </TableCell>
                  <TableCell title={v.created} style={oneLine}>
                    {relativeTime(v.created) ?? '—'}
                  </TableCell>
                  <TableCell style={wholeWords}>
                    {v.aliases.map(a => (
                      <Chip key={a} size="small" label={a} color="primary" />
                    ))}
                  </TableCell>
                  <TableCell style={{ ...wholeWords, minWidth: 140 }}>
                    {Object.entries(v.metrics)
                      .map(([k, n]) => `${k} ${formatNumber(n, 4)}`)
                      .join(' · ') || '—'}
                  </TableCell>
                  <TableCell style={{ ...wholeWords, minWidth: 120 }}>
                    {v.sourceRun?.url && (
                      <Link to={v.sourceRun.url}>{v.sourceRun.id}</Link>
                    )}
                    {v.sourceRun && !v.sourceRun.url && v.sourceRun.id}
                    {!v.sourceRun && '—'}
                  </TableCell>
                  <TableCell style={oneLine}>
                    {v.sizeBytes !== undefined ? formatBytes(v.sizeBytes) : '—'}
                  </TableCell>
                  <TableCell style={oneLine}>
                    <Tooltip
                      title={
                        !mayPromote && !permissionLoading
                          ? 'You are not allowed to promote this model'
                          : ''
                      }
                    >
                      <span>
                        <Button
                          size="small"
                          variant="outlined"
                          disabled={!mayPromote}
                          onClick={() => setPromoting(v)}
                          aria-label={`Promote ${v.version}`}
                        >
                          Promote
                        </Button>
                      </span>
                    </Tooltip>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </Box>
        {promoting && (
          <PromoteDialog
            version={promoting}
            versions={versions}
            onPromote={alias =>
              api.promoteModel(
                { namespace, name },
                { alias, version: promoting.version },
              )
            }
            onClose={promoted => {
              setPromoting(undefined);
              if (promoted) retry();
            }}
          />
        )}
      </>
    );
  }

  return <InfoCard title="Versions">{content}</InfoCard>;
}
