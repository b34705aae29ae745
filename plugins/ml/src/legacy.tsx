import {
  createApiFactory,
  createPlugin,
  createRoutableExtension,
  createRouteRef,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { MlClient, mlApiRef } from './api';

const legacyRootRouteRef = createRouteRef({ id: 'ml' });

/**
 * The ML plugin for apps still on the legacy frontend system
 * (`createApp` from `@backstage/app-defaults`).
 *
 * @public
 */
export const legacyMlPlugin = createPlugin({
  id: 'ml',
  apis: [
    createApiFactory({
      api: mlApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new MlClient({ discoveryApi, fetchApi }),
    }),
  ],
  routes: { root: legacyRootRouteRef },
});

/**
 * The ML page as a routable extension for legacy apps:
 * `<Route path="/ml" element={<MlPage />} />`.
 *
 * @public
 */
export const LegacyMlPage = legacyMlPlugin.provide(
  createRoutableExtension({
    name: 'MlPage',
    component: () => import('./components/MlPage').then(m => m.MlPage),
    mountPoint: legacyRootRouteRef,
  }),
);
