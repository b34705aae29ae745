import { CompoundEntityRef } from '@backstage/catalog-model';
import {
  EmptyState,
  StructuredMetadataTable,
  WarningPanel,
} from '@backstage/core-components';
import { EntityRefLinks } from '@backstage/plugin-catalog-react';
import { ReactNode } from 'react';

/**
 * Shown when a card is placed on an entity it cannot describe, e.g. when an
 * app-config `filter` override widens where the card appears.
 */
export function WrongKindPanel(props: { expected: string }) {
  return (
    <WarningPanel
      title={`This card only works on ${props.expected} entities`}
      message="Check the card's filter in app-config.yaml."
    />
  );
}

/**
 * A metadata table that leaves out fields the entity does not set, so the
 * card only lists what is known instead of rows of dashes.
 */
export function FieldsTable(props: {
  fields: Record<string, ReactNode | undefined>;
}) {
  const metadata = Object.fromEntries(
    Object.entries(props.fields).filter(
      ([, value]) => value !== undefined && value !== null && value !== '',
    ),
  );
  return (
    <StructuredMetadataTable
      dense
      metadata={metadata}
      options={{ titleFormat: key => key }}
    />
  );
}

/** Links to entities, or undefined so {@link FieldsTable} drops the row. */
export function refLinks(
  refs: Array<string | CompoundEntityRef>,
): ReactNode | undefined {
  if (refs.length === 0) return undefined;
  return <EntityRefLinks entityRefs={refs as CompoundEntityRef[]} />;
}

/** The empty state of a card: what is missing, and the YAML that adds it. */
export function MissingFields(props: { title: string; yaml: string }) {
  return (
    <EmptyState
      missing="field"
      title={props.title}
      description={
        <>
          Add it to the entity's catalog-info.yaml, for example:
          <pre>{props.yaml}</pre>
        </>
      }
    />
  );
}
