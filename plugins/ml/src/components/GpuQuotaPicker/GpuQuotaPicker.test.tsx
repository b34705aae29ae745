import { identityApiRef } from '@backstage/frontend-plugin-api';
import {
  createExtensionTester,
  mockApis,
  renderInTestApp,
} from '@backstage/frontend-test-utils';
import { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import { FormFieldBlueprint } from '@backstage/plugin-scaffolder-react/alpha';
import { GpuQuotasResponse } from '@mlplatform/plugin-ml-common';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { useState } from 'react';
import {
  allQuotas,
  fraudQuota,
  mlApiPair,
  mockMlApi,
  nlpQuota,
  quotasWithClusterBDown,
} from '../../__testUtils__/fixtures';
import { MlApi, mlApiRef } from '../../api';
import { mlPlugin } from '../../plugin';
import { gpuQuotaPickerFormField } from './extension';
import { GpuQuotaPicker } from './GpuQuotaPicker';
import { GpuPlacement, validatePlacement } from './placement';

jest.setTimeout(30_000);

const member = mockApis.identity({
  userEntityRef: 'user:default/guest',
  ownershipEntityRefs: [
    'user:default/guest',
    'group:default/fraud-team',
    'group:default/nlp-team',
  ],
});

/** Holds formData like the scaffolder form does, and records onChange. */
function Harness(props: {
  initial?: GpuPlacement;
  onChange: (p: GpuPlacement) => void;
  rawErrors?: string[];
}) {
  const [data, setData] = useState<GpuPlacement | undefined>(props.initial);
  const fieldProps = {
    formData: data,
    onChange: (p: GpuPlacement) => {
      props.onChange(p);
      setData(p);
    },
    rawErrors: props.rawErrors ?? [],
    required: true,
    schema: { title: 'Team quota and GPUs', type: 'object' },
    uiSchema: {},
    idSchema: { $id: 'root_placement' },
  } as unknown as FieldExtensionComponentProps<GpuPlacement>;
  return <GpuQuotaPicker {...fieldProps} />;
}

async function renderPicker(
  impl: Partial<MlApi>,
  options: { identity?: typeof member; initial?: GpuPlacement } = {},
) {
  const onChange = jest.fn();
  await renderInTestApp(
    <Harness
      initial={options.initial ?? { gpus: 1, gpuResource: 'nvidia.com/gpu' }}
      onChange={onChange}
    />,
    { apis: [mlApiPair(impl), options.identity ?? member] },
  );
  return { onChange };
}

const optionTexts = (select: HTMLElement) =>
  [...(select as HTMLSelectElement).options].map(o => o.textContent);

describe('GpuQuotaPicker', () => {
  it("offers one choice per cluster/namespace of the user's teams only", async () => {
    await renderPicker({ getQuotas: async () => allQuotas });
    const quota = await screen.findByLabelText(/GPU quota/);
    expect(optionTexts(quota)).toEqual([
      'Choose a quota',
      'fraud-team · fraud on gpu-cluster-a (ResourceQuota)',
      'nlp-team · nlp on gpu-cluster-b (Kueue)',
    ]);
  });

  it('shows the numbers of the chosen resource and flavor and writes exactly the placement keys', async () => {
    const { onChange } = await renderPicker({
      getQuotas: async () => allQuotas,
    });
    fireEvent.change(await screen.findByLabelText(/GPU quota/), {
      target: { value: 'gpu-cluster-b/nlp' },
    });
    expect(onChange).toHaveBeenLastCalledWith({
      cluster: 'gpu-cluster-b',
      namespace: 'nlp',
      team: 'group:default/nlp-team',
      gpus: 1,
      gpuResource: 'nvidia.com/gpu',
    });
    expect(screen.getByLabelText('availability')).toHaveTextContent(
      '0 free · 0 borrowable (h100) · 0 pending',
    );
    expect(optionTexts(screen.getByLabelText(/GPU resource/))).toEqual([
      'nvidia.com/gpu',
      'nvidia.com/mig-1g.10gb',
    ]);

    fireEvent.change(screen.getByLabelText(/GPU resource/), {
      target: { value: 'nvidia.com/mig-1g.10gb' },
    });
    expect(screen.getByLabelText('availability')).toHaveTextContent(
      '5 free · 7 borrowable (a100-mig) · 0 pending',
    );
    const flavor = screen.getByLabelText(/Flavor/);
    expect(optionTexts(flavor)).toEqual(['best available', 'a100-mig']);
    fireEvent.change(flavor, { target: { value: 'a100-mig' } });
    fireEvent.change(screen.getByLabelText(/GPUs/, { selector: 'input' }), {
      target: { value: '3' },
    });
    expect(onChange).toHaveBeenLastCalledWith({
      cluster: 'gpu-cluster-b',
      namespace: 'nlp',
      team: 'group:default/nlp-team',
      gpus: 3,
      gpuResource: 'nvidia.com/mig-1g.10gb',
      flavor: 'a100-mig',
    });
    // The gauge of the chosen resource, as on the quota page.
    expect(
      screen.getByRole('img', {
        name: 'nvidia.com/mig-1g.10gb (a100-mig): 9 / 14 used · 5 free · 7 borrowable',
      }),
    ).toBeInTheDocument();
  });

  it('fetches the numbers again a moment after a change', async () => {
    let calls = 0;
    const getQuotas = jest.fn(async () => {
      calls += 1;
      const busier: GpuQuotasResponse = {
        ...allQuotas,
        quotas: allQuotas.quotas.map(q =>
          q === fraudQuota && calls > 1
            ? {
                ...q,
                resources: [{ ...q.resources[0], used: 8, free: 0 }],
              }
            : q,
        ),
      };
      return busier;
    });
    await renderPicker({ getQuotas });
    fireEvent.change(await screen.findByLabelText(/GPU quota/), {
      target: { value: 'gpu-cluster-a/fraud' },
    });
    expect(screen.getByLabelText('availability')).toHaveTextContent(
      '3 free · 0 borrowable',
    );
    await waitFor(
      () =>
        expect(screen.getByLabelText('availability')).toHaveTextContent(
          '0 free · 0 borrowable',
        ),
      { timeout: 5000 },
    );
    expect(getQuotas.mock.calls.length).toBeGreaterThanOrEqual(2);
  });

  it('says so when none of the teams has a quota', async () => {
    await renderPicker(
      { getQuotas: async () => allQuotas },
      {
        identity: mockApis.identity({
          userEntityRef: 'user:default/guest',
          ownershipEntityRefs: ['user:default/guest', 'group:default/web'],
        }),
      },
    );
    expect(
      await screen.findByText(
        /You are not a member of a team with a GPU quota/,
      ),
    ).toBeInTheDocument();
  });

  it('names an unavailable cluster and the backend error', async () => {
    await renderPicker({ getQuotas: async () => quotasWithClusterBDown });
    expect(
      await screen.findByText(
        /gpu-cluster-b unavailable: connect ECONNREFUSED 127\.0\.0\.1:6443/,
      ),
    ).toBeInTheDocument();
    expect(optionTexts(screen.getByLabelText(/GPU quota/))).toEqual([
      'Choose a quota',
      'fraud-team · fraud on gpu-cluster-a (ResourceQuota)',
    ]);
  });

  it("shows the backend's message when quotas cannot be loaded", async () => {
    await renderPicker({
      getQuotas: async () => {
        throw Object.assign(new Error('Request failed with 403'), {
          body: { error: { message: 'ml.quota.read denied' } },
        });
      },
    });
    expect(
      await screen.findByText(
        /Could not load GPU quotas: ml.quota.read denied/,
      ),
    ).toBeInTheDocument();
  });
});

describe('validatePlacement', () => {
  const holder = (api: MlApi, identity = member) => ({
    get: (ref: { id: string }) =>
      (({ [mlApiRef.id]: api, [identityApiRef.id]: identity } as any)[ref.id]),
  });

  it('asks to choose a quota when none is chosen', async () => {
    const api = mockMlApi();
    await expect(
      validatePlacement(
        { gpus: 1, gpuResource: 'nvidia.com/gpu' },
        holder(api),
      ),
    ).resolves.toEqual(["Choose one of your teams' GPU quotas"]);
    await expect(validatePlacement(undefined, holder(api))).resolves.toEqual([
      "Choose one of your teams' GPU quotas",
      'GPUs must be a whole number from 0 to 64',
    ]);
    expect(api.getQuotas).not.toHaveBeenCalled();
  });

  it.each([[-1], [1.5], [65], [NaN]])('refuses %p GPUs', async gpus => {
    await expect(
      validatePlacement(
        {
          cluster: 'gpu-cluster-a',
          namespace: 'fraud',
          gpus,
          gpuResource: 'nvidia.com/gpu',
        },
        holder(mockMlApi()),
      ),
    ).resolves.toEqual(['GPUs must be a whole number from 0 to 64']);
  });

  it('refuses more than free + borrowable with the backend sentence, from fresh numbers', async () => {
    const getQuotas = jest.fn(async () => ({
      clusters: allQuotas.clusters,
      quotas: [nlpQuota],
    }));
    const placement = {
      cluster: 'gpu-cluster-b',
      namespace: 'nlp',
      team: 'group:default/nlp-team',
      gpus: 13,
      gpuResource: 'nvidia.com/mig-1g.10gb',
    };
    await expect(
      validatePlacement(placement, holder(mockMlApi({ getQuotas }))),
    ).resolves.toEqual([
      'asked for 13 nvidia.com/mig-1g.10gb in nlp on gpu-cluster-b; 5 free, 7 borrowable (flavor a100-mig)',
    ]);
    expect(getQuotas).toHaveBeenCalledWith({
      cluster: 'gpu-cluster-b',
      namespace: 'nlp',
    });
    await expect(
      validatePlacement(
        { ...placement, gpus: 12 },
        holder(mockMlApi({ getQuotas })),
      ),
    ).resolves.toEqual([]);
    await expect(
      validatePlacement(
        {
          ...placement,
          gpus: 1,
          gpuResource: 'nvidia.com/gpu',
          flavor: 'h100',
        },
        holder(mockMlApi({ getQuotas })),
      ),
    ).resolves.toEqual([
      'asked for 1 nvidia.com/gpu in nlp on gpu-cluster-b; 0 free, 0 borrowable (flavor h100)',
    ]);
  });

  it('in the deployment form, checks the replica bounds with the API schema and GPUs × maxReplicas against the quota', async () => {
    const getQuotas = jest.fn(async () => ({
      clusters: allQuotas.clusters,
      quotas: [nlpQuota],
    }));
    const placement = {
      cluster: 'gpu-cluster-b',
      namespace: 'nlp',
      team: 'group:default/nlp-team',
      gpus: 3,
      gpuResource: 'nvidia.com/mig-1g.10gb',
    };
    const api = mockMlApi({ getQuotas });
    await expect(
      validatePlacement(placement, holder(api), {
        minReplicas: 3,
        maxReplicas: 2,
      }),
    ).resolves.toEqual(['minReplicas: must not be more than maxReplicas']);
    expect(getQuotas).not.toHaveBeenCalled();
    // 3 × 5 = 15 > 5 free + 7 borrowable
    await expect(
      validatePlacement(placement, holder(api), {
        minReplicas: 1,
        maxReplicas: 5,
      }),
    ).resolves.toEqual([
      '3 GPUs per replica × 5 replicas: asked for 15 nvidia.com/mig-1g.10gb in nlp on gpu-cluster-b; 5 free, 7 borrowable (flavor a100-mig)',
    ]);
    await expect(
      validatePlacement(placement, holder(api), {
        minReplicas: 1,
        maxReplicas: 4,
      }),
    ).resolves.toEqual([]);
  });

  it("refuses a quota of a team the user is not in, an unavailable cluster and shows the backend's error", async () => {
    const fraud = {
      cluster: 'gpu-cluster-a',
      namespace: 'recsys',
      gpus: 1,
      gpuResource: 'nvidia.com/gpu',
    };
    await expect(
      validatePlacement(
        fraud,
        holder(mockMlApi({ getQuotas: async () => allQuotas })),
      ),
    ).resolves.toEqual([
      'you are not a member of a team with a GPU quota in recsys on gpu-cluster-a',
    ]);
    await expect(
      validatePlacement(
        { ...fraud, cluster: 'gpu-cluster-b', namespace: 'nlp' },
        holder(mockMlApi({ getQuotas: async () => quotasWithClusterBDown })),
      ),
    ).resolves.toEqual([
      'gpu-cluster-b unavailable: connect ECONNREFUSED 127.0.0.1:6443',
    ]);
    await expect(
      validatePlacement(
        fraud,
        holder(
          mockMlApi({
            getQuotas: async () => {
              throw Object.assign(new Error('x'), {
                body: { error: { message: 'ml.quota.read denied' } },
              });
            },
          }),
        ),
      ),
    ).resolves.toEqual(['Could not check the GPU quota: ml.quota.read denied']);
  });
});

describe('gpuQuotaPickerFormField', () => {
  it('is a scaffolder form field of the ml plugin, attached to the form-fields API', async () => {
    expect(
      mlPlugin.getExtension('scaffolder-form-field:ml/gpu-quota-picker'),
    ).toBeDefined();
    const tester = createExtensionTester(gpuQuotaPickerFormField);
    const loader = tester.get(FormFieldBlueprint.dataRefs.formFieldLoader);
    const field = (await loader()) as any;
    expect(field.$$type).toBe('@backstage/scaffolder/FormField');
    expect(field.name).toBe('GpuQuotaPicker');
    expect(typeof field.validation).toBe('function');
    // ui:options.replicasFields: the replica bounds come from the form data
    const errors: string[] = [];
    await field.validation(
      {
        cluster: 'gpu-cluster-b',
        namespace: 'nlp',
        gpus: 1,
        gpuResource: 'nvidia.com/mig-1g.10gb',
      },
      { addError: (e: string) => errors.push(e) },
      {
        apiHolder: { get: () => undefined },
        formData: { minReplicas: 4, maxReplicas: 2 },
        schema: {},
        uiSchema: {
          'ui:options': {
            replicasFields: { min: 'minReplicas', max: 'maxReplicas' },
          },
        },
      },
    );
    expect(errors).toEqual(['minReplicas: must not be more than maxReplicas']);
  });
});
