import {
  Header,
  Page,
  Progress,
  TabbedLayout,
} from '@backstage/core-components';
import { lazy, Suspense } from 'react';
import { mlPageTabs } from '../../tabs';

// Created once, so a tab's content keeps its state across re-renders.
const tabs = mlPageTabs.map(tab => ({
  ...tab,
  Content: lazy(() => tab.loadContent().then(c => ({ default: c }))),
}));

/**
 * The whole ML page with its tabs, for legacy apps: the same tabs as the new
 * frontend system's sub-pages (Overview, Pipelines, GPU quotas, My notebooks,
 * Audit), from the same table. `/ml` opens the first.
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
        {tabs.map(({ path, title, Content }) => (
          <TabbedLayout.Route key={path} path={`/${path}`} title={title}>
            <Suspense fallback={<Progress />}>
              <Content />
            </Suspense>
          </TabbedLayout.Route>
        ))}
      </TabbedLayout>
    </Page>
  );
}
