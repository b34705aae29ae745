import { RouteRef } from '@backstage/frontend-plugin-api';
import { ComponentType } from 'react';
import {
  auditRouteRef,
  notebooksRouteRef,
  overviewRouteRef,
  pipelinesRouteRef,
  quotasRouteRef,
} from './routes';

/**
 * One tab of the ML page. The new frontend system makes a sub-page
 * extension of each (`plugin.tsx`) and the legacy `LegacyMlPage` a
 * `TabbedLayout` route, so both pages show the same tabs in the same order.
 */
export interface MlPageTab {
  /** The sub-page extension's name: `sub-page:ml/<name>`. */
  name: string;
  /** Below `/ml`. */
  path: string;
  title: string;
  routeRef: RouteRef;
  /** Imported when the tab is first opened. */
  loadContent: () => Promise<ComponentType<{}>>;
}

/** The ML page's tabs; `/ml` opens the first. */
export const mlPageTabs: readonly MlPageTab[] = [
  {
    name: 'overview',
    path: 'overview',
    title: 'Overview',
    routeRef: overviewRouteRef,
    loadContent: () => import('./components/MlPage').then(m => m.MlOverview),
  },
  {
    name: 'pipelines',
    path: 'pipelines',
    title: 'Pipelines',
    routeRef: pipelinesRouteRef,
    loadContent: () =>
      import('./components/pipelines').then(m => m.PipelinesPage),
  },
  {
    name: 'quotas',
    path: 'quotas',
    title: 'GPU quotas',
    routeRef: quotasRouteRef,
    loadContent: () =>
      import('./components/GpuQuotas').then(m => m.GpuQuotasPage),
  },
  {
    name: 'notebooks',
    path: 'notebooks',
    title: 'My notebooks',
    routeRef: notebooksRouteRef,
    loadContent: () =>
      import('./components/Notebooks').then(m => m.MyNotebooksPage),
  },
  {
    name: 'audit',
    path: 'audit',
    title: 'Audit',
    routeRef: auditRouteRef,
    loadContent: () => import('./components/audit').then(m => m.AuditPage),
  },
];
