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
import { mlPageTabs } from './tabs';
import { mlEntityCards } from './entityCards';
import { gpuQuotaPickerFormField } from './components/GpuQuotaPicker/extension';
import { modelVersionPickerFormField } from './components/ModelVersionPicker/extension';

const mlApi = ApiBlueprint.make({
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
 */
const mlPage = PageBlueprint.make({
  params: {
    path: '/ml',
    title: 'ML',
    icon: <MlIcon fontSize="inherit" />,
    routeRef: rootRouteRef,
  },
});

/**
 * The ML page's tabs, `sub-page:ml/<name>` at `/ml/<path>`, from the table
 * the legacy page uses too.
 */
const mlSubPages = mlPageTabs.map(tab =>
  SubPageBlueprint.make({
    name: tab.name,
    params: {
      path: tab.path,
      title: tab.title,
      routeRef: tab.routeRef,
      loader: () => tab.loadContent().then(Content => <Content />),
    },
  }),
);

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
    ...mlSubPages,
    gpuQuotaPickerFormField,
    modelVersionPickerFormField,
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
