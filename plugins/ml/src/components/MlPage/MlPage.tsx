import {
  Content,
  ContentHeader,
  SupportButton,
} from '@backstage/core-components';
import { Grid } from '@material-ui/core';
import { IntegrationsCard } from './IntegrationsCard';

/**
 * The ML page: the front door to models, datasets, pipelines and GPU quotas.
 *
 * @public
 */
export function MlPage() {
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
      </Grid>
    </Content>
  );
}
