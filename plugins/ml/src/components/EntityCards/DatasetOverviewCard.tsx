import { RELATION_OWNED_BY, RELATION_PART_OF } from '@backstage/catalog-model';
import { InfoCard, Link } from '@backstage/core-components';
import { useEntity } from '@backstage/plugin-catalog-react';
import {
  DatasetClassification,
  DatasetSchema,
  isDatasetEntity,
} from '@mlplatform/plugin-ml-common';
import Chip from '@material-ui/core/Chip';
import { FieldsTable, refLinks, WrongKindPanel } from './common';
import { refsOf } from './entityRefs';

// Mirrors the processor's default, so a card rendered from a stale entity
// does not suggest that unclassified data is public.
const DEFAULT_CLASSIFICATION: DatasetClassification = 'internal';

const SCHEMA_FIELDS_SHOWN = 5;

function schemaSummary(schema: DatasetSchema | undefined) {
  if (!schema) return undefined;
  const fields = schema.fields ?? [];
  const names = fields.slice(0, SCHEMA_FIELDS_SHOWN).map(f => f.name);
  const more =
    fields.length > SCHEMA_FIELDS_SHOWN
      ? `, +${fields.length - SCHEMA_FIELDS_SHOWN} more`
      : '';
  return (
    <>
      {fields.length > 0 && (
        <div>
          {fields.length} field{fields.length === 1 ? '' : 's'}:{' '}
          {names.join(', ')}
          {more}
        </div>
      )}
      {schema.ref && <div>Schema: {schema.ref}</div>}
    </>
  );
}

function location(uri: string) {
  return /^https?:\/\//.test(uri) ? <Link to={uri}>{uri}</Link> : uri;
}

/**
 * Overview of a Dataset: type, format, location, classification, schema
 * summary, owner and system.
 *
 * @public
 */
export function DatasetOverviewCard() {
  const { entity } = useEntity();
  if (!isDatasetEntity(entity)) {
    return (
      <InfoCard title="Dataset">
        <WrongKindPanel expected="Dataset" />
      </InfoCard>
    );
  }
  const { spec } = entity;
  const classification = spec.classification ?? DEFAULT_CLASSIFICATION;
  return (
    <InfoCard title="Dataset">
      <FieldsTable
        fields={{
          Type: spec.type,
          Format: spec.format,
          Location: location(spec.location),
          Classification: (
            <Chip
              size="small"
              label={classification}
              color={
                classification === 'restricted' ||
                classification === 'confidential'
                  ? 'secondary'
                  : 'default'
              }
            />
          ),
          Lifecycle: spec.lifecycle,
          Owner: refLinks(refsOf(entity, RELATION_OWNED_BY, 'owner')),
          System: refLinks(refsOf(entity, RELATION_PART_OF, 'system')),
          Schema: schemaSummary(spec.schema),
        }}
      />
    </InfoCard>
  );
}
