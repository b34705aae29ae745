import { Progress, WarningPanel } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import {
  Box,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  Grid,
  Typography,
} from '@material-ui/core';
import { ExperimentEntityRef } from '@mlplatform/plugin-ml-common';
import useAsync from 'react-use/esm/useAsync';
import { mlApiRef } from '../../api';
import { serverMessage } from '../shared/errors';
import { RUN_COLORS } from './format';
import { MetricHistoryChart } from './MetricHistoryChart';
import { ParamDiffTable } from './ParamDiffTable';

/**
 * Compare runs: one chart per metric with every chosen run's history
 * overlaid (step on x), and the parameter diff with what differs
 * highlighted.
 */
export function CompareRunsDialog(props: {
  entity: ExperimentEntityRef;
  runIds: string[];
  onClose: () => void;
}) {
  const { entity, runIds, onClose } = props;
  const api = useApi(mlApiRef);
  const { kind, namespace, name } = entity;
  const key = runIds.join(',');
  const { value, loading, error } = useAsync(
    () =>
      api.compareExperimentRuns(
        { kind, namespace, name },
        { runs: key.split(',') },
      ),
    [api, kind, namespace, name, key],
  );
  const colors = Object.fromEntries(
    runIds.map((id, i) => [id, RUN_COLORS[i % RUN_COLORS.length]]),
  );

  let content;
  if (error) {
    content = (
      <WarningPanel
        severity="error"
        title="Could not compare these runs"
        message={serverMessage(error)}
      />
    );
  } else if (loading || !value) {
    content = <Progress />;
  } else {
    content = (
      <>
        <Typography variant="h6" gutterBottom>
          Metrics
        </Typography>
        {value.metrics.length === 0 ? (
          <Typography color="textSecondary">
            These runs logged no metrics.
          </Typography>
        ) : (
          <Grid container spacing={2}>
            {value.metrics.map(metric => (
              <Grid item xs={12} md={6} key={metric.name}>
                <MetricHistoryChart
                  metric={metric}
                  runs={value.runs}
                  colors={colors}
                />
              </Grid>
            ))}
          </Grid>
        )}
        <Box mt={3}>
          <Typography variant="h6" gutterBottom>
            Parameters
          </Typography>
          <ParamDiffTable
            params={value.params}
            runs={value.runs}
            colors={colors}
          />
        </Box>
      </>
    );
  }

  return (
    <Dialog open onClose={onClose} fullWidth maxWidth="lg">
      <DialogTitle>
        Compare {runIds.length} runs
        {value && ` of ${value.experiment.name}`}
      </DialogTitle>
      <DialogContent dividers>{content}</DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Close</Button>
      </DialogActions>
    </Dialog>
  );
}
