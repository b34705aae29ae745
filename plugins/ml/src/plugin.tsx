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
  auditRouteRef,
  notebooksRouteRef,
  overviewRouteRef,
  pipelinesRouteRef,
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
 * Pipelines tab, `/ml/pipelines` (`sub-page:ml/pipelines`): the catalog's
 * pipelines with their schedule and latest run.
 *
 * @public
 */
export const mlPipelinesSubPage = SubPageBlueprint.make({
  name: 'pipelines',
  params: {
    path: 'pipelines',
    title: 'Pipelines',
    routeRef: pipelinesRouteRef,
    loader: () =>
      import('./components/pipelines').then(m => <m.PipelinesPage />),
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
 * Audit tab, `/ml/audit` (`sub-page:ml/audit`): who changed what, and how it
 * ended; everyone's actions for holders of `ml.audit.read`, else one's own.
 *
 * @public
 */
export const mlAuditSubPage = SubPageBlueprint.make({
  name: 'audit',
  params: {
    path: 'audit',
    title: 'Audit',
    routeRef: auditRouteRef,
    loader: () => import('./components/audit').then(m => <m.AuditPage />),
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
    mlPipelinesSubPage,
    mlQuotasSubPage,
    mlNotebooksSubPage,
    mlAuditSubPage,
    gpuQuotaPickerFormField,
    ...mlEntityCards,
  ],
  routes: {
    root: rootRouteRef,
    overview: overviewRouteRef,
    pipelines: pipelinesRouteRef,
    quotas: quotasRouteRef,
    notebooks: notebooksRouteRef,
    audit: auditRouteRef,
  },
});
