import { parseEntityRef } from '@backstage/catalog-model';
import { InfoCard } from '@backstage/core-components';
import { EntityRefLinks, useEntity } from '@backstage/plugin-catalog-react';
import {
  ML_REFERENCE_FIELDS,
  ML_RELATION_PAIRS,
  MlKind,
  RELATION_CONSUMED_BY,
  RELATION_CONSUMES,
  RELATION_DERIVED_FROM,
  RELATION_PRODUCED_BY,
  RELATION_PRODUCES,
  RELATION_SERVED_BY,
  RELATION_SOURCE_OF,
  RELATION_TRAINED_ON,
  RELATION_TRAINING_DATA_OF,
} from '@mlplatform/plugin-ml-common';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { MissingFields } from './common';

// Relations whose target sits before the entity in the data flow
// (raw data -> features -> pipeline -> model -> serving), and after it.
const UPSTREAM = [
  RELATION_DERIVED_FROM,
  RELATION_TRAINED_ON,
  RELATION_CONSUMES,
  RELATION_PRODUCED_BY,
];
const DOWNSTREAM = [
  RELATION_SOURCE_OF,
  RELATION_TRAINING_DATA_OF,
  RELATION_CONSUMED_BY,
  RELATION_PRODUCES,
  RELATION_SERVED_BY,
];

function relationTitle(type: string): string {
  for (const pair of ML_RELATION_PAIRS) {
    if (pair.forward.type === type) return pair.forward.title;
    if (pair.reverse.type === type) return pair.reverse.title;
  }
  return type;
}

// Relation target refs are lower-cased by the catalog; show kinds as written.
const KNOWN_KINDS = [
  'Model',
  'Dataset',
  'Pipeline',
  'GpuQuota',
  'Component',
  'API',
  'Resource',
];

function kindOf(ref: string): string {
  try {
    const kind = parseEntityRef(ref).kind;
    return (
      KNOWN_KINDS.find(
        k => k.toLocaleLowerCase('en-US') === kind.toLocaleLowerCase('en-US'),
      ) ?? kind
    );
  } catch {
    return '';
  }
}

type LineageRow = { type: string; kind: string; refs: string[] };

function rowsFor(
  relations: { type: string; targetRef: string }[],
  types: string[],
): LineageRow[] {
  const rows = new Map<string, LineageRow>();
  for (const type of types) {
    for (const relation of relations.filter(r => r.type === type)) {
      const kind = kindOf(relation.targetRef);
      const key = `${type}/${kind}`;
      const row = rows.get(key) ?? { type, kind, refs: [] };
      row.refs.push(relation.targetRef);
      rows.set(key, row);
    }
  }
  return [...rows.values()];
}

function LineageRows(props: { title: string; rows: LineageRow[] }) {
  if (props.rows.length === 0) return null;
  return (
    <>
      <TableRow>
        <TableCell colSpan={2}>
          <Typography variant="subtitle2" component="h3">
            {props.title}
          </Typography>
        </TableCell>
      </TableRow>
      {props.rows.map(row => (
        <TableRow key={`${row.type}/${row.kind}`}>
          <TableCell component="th" scope="row">
            {relationTitle(row.type)} ({row.kind})
          </TableCell>
          <TableCell>
            <EntityRefLinks entityRefs={row.refs} />
          </TableCell>
        </TableRow>
      ))}
    </>
  );
}

function lineageFieldsOf(kind: string): string[] {
  const lineageRelations = [...UPSTREAM, ...DOWNSTREAM];
  return (ML_REFERENCE_FIELDS[kind as MlKind] ?? [])
    .filter(field => lineageRelations.includes(field.relation))
    .map(field => field.field);
}

const EXAMPLE_VALUES: Record<string, string> = {
  trainedOn: '[my-training-dataset]',
  producedBy: 'my-training-pipeline',
  servedBy: '[my-model-server]',
  derivedFrom: '[my-raw-dataset]',
  consumes: '[my-input-dataset]',
  produces: '[model:my-model]',
};

/**
 * Lineage of a Model, Dataset or Pipeline: the datasets and pipelines
 * upstream of it and the models, pipelines, serving components and APIs
 * downstream, read from the relations the catalog stores in both directions.
 *
 * @public
 */
export function LineageCard() {
  const { entity } = useEntity();
  const relations = entity.relations ?? [];
  const upstream = rowsFor(relations, UPSTREAM);
  const downstream = rowsFor(relations, DOWNSTREAM);

  if (upstream.length === 0 && downstream.length === 0) {
    const fields = lineageFieldsOf(entity.kind);
    const yaml = [
      'spec:',
      ...fields.map(f => `  ${f}: ${EXAMPLE_VALUES[f] ?? '...'}`),
    ].join('\n');
    return (
      <InfoCard title="Lineage">
        <MissingFields
          title={`No lineage recorded for this ${entity.kind}`}
          yaml={fields.length > 0 ? yaml : 'spec: ...'}
        />
      </InfoCard>
    );
  }
  return (
    <InfoCard title="Lineage">
      <Table size="small" aria-label="Lineage">
        <TableBody>
          <LineageRows title="Upstream" rows={upstream} />
          <LineageRows title="Downstream" rows={downstream} />
        </TableBody>
      </Table>
    </InfoCard>
  );
}
