import { renderInTestApp } from '@backstage/frontend-test-utils';
import { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import { ModelVersionsResponse } from '@mlplatform/plugin-ml-common';
import { fireEvent, screen } from '@testing-library/react';
import { useState } from 'react';
import { mlApiPair } from '../../__testUtils__/fixtures';
import { MlApi } from '../../api';
import { ModelVersionPicker } from './ModelVersionPicker';

const versions: ModelVersionsResponse = {
  entityRef: 'model:default/fraud-detector',
  registryRef: 'mlflow://fraud-detector',
  registry: 'mlflow',
  versions: [
    {
      version: '3',
      aliases: ['production'],
      metrics: { accuracy: 0.953, f1: 0.91 },
      datasetDigests: [],
    },
    { version: '2', aliases: [], metrics: {}, datasetDigests: [] },
  ],
};

function Harness(props: { model?: string; onChange: (v: string) => void }) {
  const [data, setData] = useState<string | undefined>();
  const fieldProps = {
    formData: data,
    onChange: (v: string) => {
      props.onChange(v);
      setData(v);
    },
    rawErrors: [],
    required: true,
    schema: { title: 'Registry version', type: 'string' },
    uiSchema: {},
    idSchema: { $id: 'root_version' },
    formContext: { formData: { model: props.model } },
  } as unknown as FieldExtensionComponentProps<string>;
  return <ModelVersionPicker {...fieldProps} />;
}

async function render(impl: Partial<MlApi>, model?: string) {
  const onChange = jest.fn();
  await renderInTestApp(<Harness model={model} onChange={onChange} />, {
    apis: [mlApiPair(impl)],
  });
  return { onChange };
}

describe('ModelVersionPicker', () => {
  it("lists the picked Model's versions with aliases and metrics and writes the version", async () => {
    const getModelVersions = jest.fn(async () => versions);
    const { onChange } = await render(
      { getModelVersions },
      'model:default/fraud-detector',
    );
    const select = await screen.findByLabelText(/Registry version/);
    expect(
      [...(select as HTMLSelectElement).options].map(o => o.textContent),
    ).toEqual([
      'Choose a version',
      '3 · production · accuracy 0.953, f1 0.91',
      '2',
    ]);
    expect(getModelVersions).toHaveBeenCalledWith({
      namespace: 'default',
      name: 'fraud-detector',
    });
    fireEvent.change(select, { target: { value: '3' } });
    expect(onChange).toHaveBeenLastCalledWith('3');
  });

  it('asks for a Model first and does not call the backend', async () => {
    const getModelVersions = jest.fn(async () => versions);
    await render({ getModelVersions });
    expect(await screen.findByText(/Pick a Model first/)).toBeInTheDocument();
    expect(getModelVersions).not.toHaveBeenCalled();
  });

  it('says when the registry cannot be read', async () => {
    await render(
      {
        getModelVersions: async () => {
          throw new Error('registry unreachable');
        },
      },
      'model:default/fraud-detector',
    );
    expect(
      await screen.findByText(
        /Could not list the versions.*registry unreachable/,
      ),
    ).toBeInTheDocument();
  });
});
