import {
  Content,
  ContentHeader,
  Progress,
  ResponseErrorPanel,
  SupportButton,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { Box, Grid } from '@material-ui/core';
import useAsync from 'react-use/esm/useAsync';
import { mlApiRef } from '../../api';
import {
  AlertsTile,
  GpusTile,
  IdleNotebooksTile,
  ModelsTile,
  RunsTile,
  StaleDatasetsTile,
} from '../Overview/tiles';
import { IntegrationsCard } from './IntegrationsCard';

/**
 * The ML page's Overview tab: the fleet at a glance — models by health
 * verdict, firing alerts, runs that failed or got stuck, GPUs per team,
 * notebooks holding idle GPUs and stale Datasets where known —
 * each tile linking to its detail, and the systems behind the platform.
 *
 * @public
 */
export function MlOverview() {
  const mlApi = useApi(mlApiRef);
  const { value, loading, error } = useAsync(
    () => mlApi.getOverview(),
    [mlApi],
  );
  let tiles;
  if (loading) tiles = <Progress />;
  else if (error) {
    tiles = (
      <ResponseErrorPanel
        title="Could not load the ML overview"
        error={error}
      />
    );
  } else if (value) {
    tiles = (
      <Grid container spacing={3} alignItems="stretch">
        <Grid item xs={12} md={6}>
          <ModelsTile models={value.models} />
        </Grid>
        <Grid item xs={12} md={6}>
          <GpusTile gpus={value.gpus} />
        </Grid>
        <Grid item xs={12} md={6}>
          <AlertsTile alerts={value.alerts} />
        </Grid>
        <Grid item xs={12} md={6}>
          <RunsTile pipelines={value.pipelines} />
        </Grid>
        <Grid item xs={12} md={6}>
          <IdleNotebooksTile idle={value.idleNotebooks} />
        </Grid>
        <Grid item xs={12} md={6}>
          <StaleDatasetsTile datasets={value.datasets} />
        </Grid>
      </Grid>
    );
  }
  return (
    <Content>
      <ContentHeader title="ML platform">
        <SupportButton>
          Models, datasets, pipelines and GPU quotas of the ML platform, and the
          systems behind them.
        </SupportButton>
      </ContentHeader>
      {tiles}
      <Grid container spacing={3}>
        <Grid item xs={12} lg={8}>
          <Box mt={3}>
            <IntegrationsCard />
          </Box>
        </Grid>
      </Grid>
    </Content>
  );
}
