import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import { FormHelperText, TextField } from '@material-ui/core';
import { ModelVersion } from '@mlplatform/plugin-ml-common';
import useAsync from 'react-use/esm/useAsync';
import { mlApiRef } from '../../api';
import { serverMessage } from '../shared/errors';

/** At most this many metrics are shown beside a version. */
const MAX_METRICS = 3;

/** `3 · production · accuracy 0.95, f1 0.9`. @internal */
export function versionLabel(v: ModelVersion): string {
  const metrics = Object.entries(v.metrics)
    .slice(0, MAX_METRICS)
    .map(([k, n]) => `${k} ${Number(n.toPrecision(4))}`)
    .join(', ');
  return [v.version, v.aliases.join(', '), metrics].filter(Boolean).join(' · ');
}

/**
 * Scaffolder field `ModelVersionPicker`: one registry version of the Model
 * picked in the sibling field (`ui:options.modelField`, default `model`),
 * listed from `GET /api/ml/models/:ns/:name/versions` with its aliases and
 * key metrics. Writes the version string.
 *
 * @public
 */
export function ModelVersionPicker(
  props: FieldExtensionComponentProps<string, { modelField?: string }>,
) {
  const { formData, onChange, rawErrors, required, schema, idSchema } = props;
  const api = useApi(mlApiRef);
  const id = idSchema?.$id ?? 'model-version-picker';
  const modelField = props.uiSchema?.['ui:options']?.modelField ?? 'model';
  const modelRef: unknown = (
    props.formContext as { formData?: Record<string, unknown> } | undefined
  )?.formData?.[modelField];

  const versions = useAsync(async () => {
    if (typeof modelRef !== 'string' || !modelRef) return undefined;
    const ref = parseEntityRef(modelRef, { defaultKind: 'model' });
    return api.getModelVersions({ namespace: ref.namespace, name: ref.name });
  }, [api, modelRef]);

  if (typeof modelRef !== 'string' || !modelRef) {
    return (
      <FormHelperText id={`${id}-helper`}>
        Pick a Model first; its registry versions are listed here.
      </FormHelperText>
    );
  }
  if (versions.loading) return <Progress />;
  const list = versions.value?.versions ?? [];
  let error: string | undefined;
  if (versions.error) {
    error = `Could not list the versions of ${modelRef}: ${serverMessage(
      versions.error,
    )}`;
  } else if (list.length === 0) {
    error = `${modelRef} has no versions in its registry`;
  }
  return (
    <TextField
      id={id}
      select
      fullWidth
      margin="normal"
      label={schema?.title ?? 'Registry version'}
      required={required}
      value={formData ?? ''}
      onChange={e => onChange(e.target.value as string)}
      SelectProps={{ native: true }}
      error={Boolean(error) || (rawErrors?.length ?? 0) > 0}
      helperText={
        error ??
        (versions.value
          ? `Newest first, from ${versions.value.registry}`
          : undefined)
      }
    >
      <option value="">Choose a version</option>
      {list.map(v => (
        <option key={v.version} value={v.version}>
          {versionLabel(v)}
        </option>
      ))}
    </TextField>
  );
}
