import {
  Content,
  ContentHeader,
  SupportButton,
} from '@backstage/core-components';
import { Grid } from '@material-ui/core';
import { ModelsHealthCard } from '../Health/ModelsHealthCard';
import { IntegrationsCard } from './IntegrationsCard';

/**
 * The ML page's Overview tab: the systems behind the ML platform and
 * whether the backend reaches them.
 *
 * @public
 */
export function MlOverview() {
  return (
    <Content>
      <ContentHeader title="ML platform">
        <SupportButton>
          Models, datasets, pipelines and GPU quotas of the ML platform, and the
          systems behind them.
        </SupportButton>
      </ContentHeader>
      <Grid container spacing={3}>
        <Grid item xs={12} lg={8}>
          <IntegrationsCard />
        </Grid>
        <Grid item xs={12} lg={8}>
          <ModelsHealthCard />
        </Grid>
      </Grid>
    </Content>
  );
}
