import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
  SubPageBlueprint,
} from '@backstage/frontend-plugin-api';
import { MlClient, mlApiRef } from './api';
import { MlIcon } from './components/MlIcon';
import {
  notebooksRouteRef,
  overviewRouteRef,
  quotasRouteRef,
  rootRouteRef,
} from './routes';
import { mlEntityCards } from './entityCards';
import { gpuQuotaPickerFormField } from './components/GpuQuotaPicker/extension';

/** @public */
export const mlApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: mlApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new MlClient({ discoveryApi, fetchApi }),
    }),
});

/**
 * The ML page, `/ml` (`page:ml`). Its content comes from the sub-pages
 * below, shown as tabs in the page header; `/ml` opens the first one.
 *
 * @public
 */
export const mlPage = PageBlueprint.make({
  params: {
    path: '/ml',
    title: 'ML',
    icon: <MlIcon fontSize="inherit" />,
    routeRef: rootRouteRef,
  },
});

/**
 * Overview tab, `/ml/overview` (`sub-page:ml/overview`): integrations.
 *
 * @public
 */
export const mlOverviewSubPage = SubPageBlueprint.make({
  name: 'overview',
  params: {
    path: 'overview',
    title: 'Overview',
    routeRef: overviewRouteRef,
    loader: () => import('./components/MlPage').then(m => <m.MlOverview />),
  },
});

/**
 * GPU quotas tab, `/ml/quotas` (`sub-page:ml/quotas`).
 *
 * @public
 */
export const mlQuotasSubPage = SubPageBlueprint.make({
  name: 'quotas',
  params: {
    path: 'quotas',
    title: 'GPU quotas',
    routeRef: quotasRouteRef,
    loader: () =>
      import('./components/GpuQuotas').then(m => <m.GpuQuotasPage />),
  },
});

/**
 * My notebooks tab, `/ml/notebooks` (`sub-page:ml/notebooks`).
 *
 * @public
 */
export const mlNotebooksSubPage = SubPageBlueprint.make({
  name: 'notebooks',
  params: {
    path: 'notebooks',
    title: 'My notebooks',
    routeRef: notebooksRouteRef,
    loader: () =>
      import('./components/Notebooks').then(m => <m.MyNotebooksPage />),
  },
});

/**
 * The ML platform frontend plugin for the new frontend system.
 *
 * @public
 */
export const mlPlugin = createFrontendPlugin({
  pluginId: 'ml',
  title: 'ML',
  icon: <MlIcon fontSize="inherit" />,
  info: { packageJson: () => import('../package.json') },
  extensions: [
    mlApi,
    mlPage,
    mlOverviewSubPage,
    mlQuotasSubPage,
    mlNotebooksSubPage,
    gpuQuotaPickerFormField,
    ...mlEntityCards,
  ],
  routes: {
    root: rootRouteRef,
    overview: overviewRouteRef,
    quotas: quotasRouteRef,
    notebooks: notebooksRouteRef,
  },
});
