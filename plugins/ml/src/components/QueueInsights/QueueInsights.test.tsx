import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import {
  GpuHoursResponse,
  WaitEstimateResponse,
} from '@mlplatform/plugin-ml-common';
import {
  allQuotas,
  mlApiPair,
  recsysQuota,
} from '../../__testUtils__/fixtures';
import { FieldExtensionComponentProps } from '@backstage/plugin-scaffolder-react';
import { NewNotebookDialog } from '../Notebooks/NewNotebookDialog';
import { GpuQuotaPicker } from '../GpuQuotaPicker/GpuQuotaPicker';
import { GpuPlacement } from '../GpuQuotaPicker/placement';
import { GpuHoursCard } from './GpuHoursCard';
import { QueueWaitsCard } from './QueueWaitsCard';

jest.setTimeout(30_000);

const estimated: WaitEstimateResponse = {
  cluster: 'gpu-cluster-a',
  clusterQueue: 'recsys-cq',
  flavor: 'a100-80gb',
  gpuResource: 'nvidia.com/gpu',
  gpus: 2,
  sizeBucket: '2 GPUs',
  estimate: {
    status: 'estimated',
    p50Seconds: 720,
    p90Seconds: 3900,
    samples: 34,
    source: 'observed',
    windowDays: 30,
  },
  position: {
    pendingAhead: 2,
    positionInClusterQueue: 2,
    fitsNow: false,
    fromVisibilityApi: true,
  },
  summary: 'unused by the UI',
};

describe('wait estimates in the New notebook form', () => {
  it('shows the estimate and the place in line for a Kueue quota before submitting', async () => {
    const getWaitEstimate = jest.fn(async () => estimated);
    await renderInTestApp(
      <NewNotebookDialog open onClose={jest.fn()} onCreated={jest.fn()} />,
      {
        apis: [
          mlApiPair({ getQuotas: async () => allQuotas, getWaitEstimate }),
          mockApis.identity({
            userEntityRef: 'user:default/rita',
            ownershipEntityRefs: [
              'user:default/rita',
              'group:default/recsys-team',
            ],
          }),
        ],
      },
    );
    const dialog = within(await screen.findByRole('dialog'));
    await dialog.findByLabelText(/GPU quota/);
    fireEvent.change(dialog.getByLabelText(/GPU quota/), {
      target: { value: 'gpu-cluster-a/recsys' },
    });
    fireEvent.change(dialog.getByLabelText(/^GPUs/), {
      target: { value: '2' },
    });
    const note = await dialog.findByRole('status', { name: 'Wait estimate' });
    await within(note).findByText(
      'Typical wait 12 min; 9 in 10 start within 1 h 5 min.',
    );
    expect(note).toHaveTextContent(
      'It would be number 3 in recsys-cq: 2 workloads at the same priority ahead of it.',
    );
    expect(note).toHaveTextContent('From 34 admissions of 2 GPUs of a100-80gb');
    expect(getWaitEstimate).toHaveBeenLastCalledWith({
      cluster: 'gpu-cluster-a',
      queue: 'recsys-cq',
      gpus: 2,
      gpuResource: 'nvidia.com/gpu',
      flavor: 'a100-80gb',
    });
  });
});

describe('wait estimates in the template quota picker', () => {
  it('shows the estimate of the chosen Kueue quota and GPU count', async () => {
    const getWaitEstimate = jest.fn(async () => estimated);
    const props = {
      formData: {
        cluster: 'gpu-cluster-a',
        namespace: 'recsys',
        team: 'group:default/recsys-team',
        gpus: 2,
        gpuResource: 'nvidia.com/gpu',
        flavor: 'a100-80gb',
      },
      onChange: jest.fn(),
      rawErrors: [],
      required: true,
      schema: { title: 'Team quota and GPUs', type: 'object' },
      uiSchema: {},
      idSchema: { $id: 'root_placement' },
    } as unknown as FieldExtensionComponentProps<GpuPlacement>;
    await renderInTestApp(<GpuQuotaPicker {...props} />, {
      apis: [
        mlApiPair({ getQuotas: async () => allQuotas, getWaitEstimate }),
        mockApis.identity({
          userEntityRef: 'user:default/rita',
          ownershipEntityRefs: [
            'user:default/rita',
            'group:default/recsys-team',
          ],
        }),
      ],
    });
    const note = await screen.findByRole('status', { name: 'Wait estimate' });
    await within(note).findByText(
      'Typical wait 12 min; 9 in 10 start within 1 h 5 min.',
    );
    expect(getWaitEstimate).toHaveBeenCalledWith({
      cluster: 'gpu-cluster-a',
      queue: 'recsys-cq',
      gpus: 2,
      gpuResource: 'nvidia.com/gpu',
      flavor: 'a100-80gb',
    });
  });
});

describe('QueueWaitsCard', () => {
  it('says when there is not enough history instead of guessing', async () => {
    const getWaitEstimate = jest.fn(async () => ({
      ...estimated,
      estimate: {
        status: 'insufficient' as const,
        samples: 3,
        minSamples: 10,
        reason: '3 admissions',
      },
      position: { ...estimated.position!, fitsNow: true, pendingAhead: 0 },
    }));
    await renderInTestApp(<QueueWaitsCard quotas={[recsysQuota]} />, {
      apis: [mlApiPair({ getWaitEstimate })],
    });
    expect(
      await screen.findByText('Not enough history: 3 of 10 admissions'),
    ).toBeInTheDocument();
    expect(screen.getByText('room now')).toBeInTheDocument();
    expect(getWaitEstimate).toHaveBeenCalledWith({
      cluster: 'gpu-cluster-a',
      queue: 'recsys-cq',
      gpus: 1,
      gpuResource: 'nvidia.com/gpu',
      flavor: 'a100-80gb',
    });
  });
});

describe('GpuHoursCard', () => {
  const hours: GpuHoursResponse = {
    granularity: 'day',
    from: '2026-11-21',
    to: '2026-12-04',
    method: 'GPUs requested by Running pods.',
    rows: [
      {
        period: '2026-12-03',
        cluster: 'gpu-cluster-a',
        namespace: 'fraud',
        team: 'group:default/fraud-team',
        gpuType: 'NVIDIA-A100-SXM4-80GB',
        gpuHours: 48,
      },
      {
        period: '2026-12-03',
        cluster: 'gpu-cluster-a',
        namespace: 'recsys',
        team: 'group:default/recsys-team',
        gpuType: 'NVIDIA-A100-SXM4-80GB',
        gpuHours: 24,
      },
    ],
  };

  it('charts GPU-hours per team and downloads the CSV of the same query', async () => {
    const getGpuHours = jest.fn(async () => hours);
    const getGpuHoursCsv = jest.fn(async () => 'day,cluster\n');
    const createObjectURL = jest.fn(() => 'blob:x');
    Object.assign(URL, { createObjectURL, revokeObjectURL: jest.fn() });
    await renderInTestApp(<GpuHoursCard team="group:default/fraud-team" />, {
      apis: [mlApiPair({ getGpuHours, getGpuHoursCsv })],
    });
    expect(
      await screen.findByRole('figure', { name: 'GPU-hours per team' }),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/72\.0 GPU-hours from 2026-11-21 to 2026-12-04/),
    ).toBeInTheDocument();
    expect(getGpuHours).toHaveBeenCalledWith({
      days: 14,
      granularity: 'day',
      team: 'group:default/fraud-team',
    });
    fireEvent.click(screen.getByRole('button', { name: 'Download CSV' }));
    await waitFor(() => expect(createObjectURL).toHaveBeenCalled());
    expect(getGpuHoursCsv).toHaveBeenCalledWith({
      days: 14,
      granularity: 'day',
      team: 'group:default/fraud-team',
    });
  });

  it("shows the backend's reason when the window is refused", async () => {
    const refused = Object.assign(
      new Error('days: 90 is beyond the configured maximum of 30'),
      { name: 'InputError' },
    );
    await renderInTestApp(<GpuHoursCard />, {
      apis: [
        mlApiPair({
          getGpuHours: jest.fn(async () => Promise.reject(refused)),
        }),
      ],
    });
    expect(
      (await screen.findAllByText(/beyond the configured maximum of 30/))
        .length,
    ).toBeGreaterThan(0);
    expect(screen.getByText(/Could not load GPU-hours/)).toBeInTheDocument();
  });
});
