import { Entity } from '@backstage/catalog-model';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { ReactElement } from 'react';

/** Renders a card on the page of `entity`, with entity links resolvable. */
export function renderOnEntityPage(entity: Entity, card: ReactElement) {
  return renderInTestApp(
    <EntityProvider entity={entity}>{card}</EntityProvider>,
    { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
  );
}

/** Relations as the catalog stores them, from `[type, targetRef]` pairs. */
export function relations(pairs: Array<[string, string]>) {
  return pairs.map(([type, targetRef]) => ({ type, targetRef }));
}
