import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import { MlClient, mlApiRef } from './api';
import { MlIcon } from './components/MlIcon';
import { rootRouteRef } from './routes';
import { mlEntityCards } from './entityCards';

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

/** @public */
export const mlPage = PageBlueprint.make({
  params: {
    path: '/ml',
    title: 'ML',
    icon: <MlIcon fontSize="inherit" />,
    routeRef: rootRouteRef,
    loader: () => import('./components/MlPage').then(m => <m.MlPage />),
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
  extensions: [mlApi, mlPage, ...mlEntityCards],
  routes: { root: rootRouteRef },
});
