import { createRouteRef } from '@backstage/frontend-plugin-api';

/** The ML page, `/ml`. @public */
export const rootRouteRef = createRouteRef();

/** The ML page's Overview tab, `/ml/overview`. @public */
export const overviewRouteRef = createRouteRef();

/** The GPU quota dashboard, `/ml/quotas`. @public */
export const quotasRouteRef = createRouteRef();

/** The signed-in user's notebooks, `/ml/notebooks`. @public */
export const notebooksRouteRef = createRouteRef();

/** The catalog's pipelines with their latest runs, `/ml/pipelines`. @public */
export const pipelinesRouteRef = createRouteRef();

/** The ML audit trail, `/ml/audit`. @public */
export const auditRouteRef = createRouteRef();
