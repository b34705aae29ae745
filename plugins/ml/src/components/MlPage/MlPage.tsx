import { Header, Page, TabbedLayout } from '@backstage/core-components';
import { GpuQuotasPage } from '../GpuQuotas';
import { MyNotebooksPage } from '../Notebooks';
import { MlOverview } from './MlOverview';

/**
 * The whole ML page with its tabs (Overview, GPU quotas, My notebooks), for
 * legacy apps. The new frontend system builds the same tabs from sub-page
 * extensions instead.
 *
 * @public
 */
export function MlPage() {
  return (
    <Page themeId="tool">
      <Header
        title="ML platform"
        subtitle="Models, datasets, pipelines and GPUs"
      />
      <TabbedLayout>
        <TabbedLayout.Route path="/" title="Overview">
          <MlOverview />
        </TabbedLayout.Route>
        <TabbedLayout.Route path="/quotas" title="GPU quotas">
          <GpuQuotasPage />
        </TabbedLayout.Route>
        <TabbedLayout.Route path="/notebooks" title="My notebooks">
          <MyNotebooksPage />
        </TabbedLayout.Route>
      </TabbedLayout>
    </Page>
  );
}
