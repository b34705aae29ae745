import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import {
  allQuotas,
  mlApiPair,
  runningNotebook,
} from '../../__testUtils__/fixtures';
import { NewNotebookDialog } from './NewNotebookDialog';

const guest = mockApis.identity({
  userEntityRef: 'user:default/guest',
  ownershipEntityRefs: ['user:default/guest', 'group:default/fraud-team'],
});

async function openDialog(
  impl: Parameters<typeof mlApiPair>[0],
  identity = guest,
) {
  const onCreated = jest.fn();
  const onClose = jest.fn();
  await renderInTestApp(
    <NewNotebookDialog open onClose={onClose} onCreated={onCreated} />,
    {
      apis: [
        mlApiPair({ getQuotas: async () => allQuotas, ...impl }),
        identity,
      ],
    },
  );
  const dialog = await screen.findByRole('dialog');
  return { dialog: within(dialog), onCreated, onClose };
}

function fill(dialog: ReturnType<typeof within>, label: RegExp, value: string) {
  fireEvent.change(dialog.getByLabelText(label), { target: { value } });
}

// Each test renders a whole test app; on a busy 2-core machine that can
// take longer than jest's 5 s default.
jest.setTimeout(30_000);

describe('NewNotebookDialog', () => {
  it("offers only the user's teams' quotas, with free and borrowable GPUs", async () => {
    const { dialog } = await openDialog({});
    const quota = (await dialog.findByLabelText(
      /GPU quota/,
    )) as HTMLSelectElement;
    const options = [...quota.options].map(o => o.textContent);
    expect(options).toEqual([
      'Choose a quota',
      'fraud-team · fraud on gpu-cluster-a — 3 free, 0 borrowable',
    ]);
    const images = [
      ...(dialog.getByLabelText(/Image/) as HTMLSelectElement).options,
    ].map(o => o.value);
    expect(images).toEqual([
      'quay.io/jupyter/pytorch-notebook:2024-12-02',
      'quay.io/jupyter/tensorflow-notebook:2024-12-02',
      'quay.io/jupyter/minimal-notebook:2024-12-02',
    ]);
  });

  it('blocks an over-quota request before sending it', async () => {
    const createNotebook = jest.fn();
    const { dialog } = await openDialog({ createNotebook });
    await dialog.findByLabelText(/GPU quota/);
    fill(dialog, /Name/, 'big-train');
    fill(dialog, /GPU quota/, 'gpu-cluster-a/fraud');
    fill(dialog, /^GPUs/, '4');
    fireEvent.click(dialog.getByRole('button', { name: 'Create' }));

    expect(
      await dialog.findByText(
        'asked for 4 nvidia.com/gpu in fraud on gpu-cluster-a; 3 free, 0 borrowable',
      ),
    ).toBeInTheDocument();
    expect(createNotebook).not.toHaveBeenCalled();
  });

  it('checks the name and the quantities like the backend does', async () => {
    const createNotebook = jest.fn();
    const { dialog } = await openDialog({ createNotebook });
    await dialog.findByLabelText(/GPU quota/);
    fill(dialog, /Name/, 'My_Notebook');
    fill(dialog, /GPU quota/, 'gpu-cluster-a/fraud');
    fill(dialog, /CPU/, 'lots');
    fill(dialog, /Memory/, '4Ti');
    fill(dialog, /^GPUs/, '1.5');
    fireEvent.click(dialog.getByRole('button', { name: 'Create' }));

    expect(
      await dialog.findByText(/must be a DNS-1123 label/),
    ).toBeInTheDocument();
    expect(
      dialog.getByText('cpu must be a Kubernetes quantity such as 100m'),
    ).toBeInTheDocument();
    expect(
      dialog.getByText('memory must be between 128Mi..1Ti'),
    ).toBeInTheDocument();
    expect(
      dialog.getByText('must be a whole number, 0 or more'),
    ).toBeInTheDocument();
    fill(dialog, /Name/, 'a'.repeat(53));
    expect(
      dialog.getByText('must be at most 52 characters'),
    ).toBeInTheDocument();
    expect(createNotebook).not.toHaveBeenCalled();
  });

  it('sends a valid request and reports the created notebook', async () => {
    const createNotebook = jest.fn(async () => runningNotebook);
    const { dialog, onCreated, onClose } = await openDialog({
      createNotebook,
    });
    await dialog.findByLabelText(/GPU quota/);
    fill(dialog, /Name/, 'fraud-eda');
    fill(dialog, /GPU quota/, 'gpu-cluster-a/fraud');
    fill(dialog, /Image/, 'quay.io/jupyter/tensorflow-notebook:2024-12-02');
    fill(dialog, /^GPUs/, '3');
    fireEvent.click(dialog.getByRole('button', { name: 'Create' }));

    await waitFor(() =>
      expect(onCreated).toHaveBeenCalledWith(runningNotebook),
    );
    expect(createNotebook).toHaveBeenCalledWith({
      name: 'fraud-eda',
      cluster: 'gpu-cluster-a',
      namespace: 'fraud',
      image: 'quay.io/jupyter/tensorflow-notebook:2024-12-02',
      // The notebook defaults (ml-common's NOTEBOOK_DEFAULTS), as everywhere.
      cpu: '4',
      memory: '16Gi',
      gpus: 3,
      gpuResource: 'nvidia.com/gpu',
    });
    expect(onClose).toHaveBeenCalled();
  });

  it("shows a JupyterHub notebook's spawn progress, then opens JupyterLab", async () => {
    const hubNotebook = {
      ...runningNotebook,
      backend: 'jupyterhub' as const,
      phase: 'Pending' as const,
      url: 'https://hub.example.com/user/guest/fraud-eda/lab',
    };
    // Each event waits for the test to let it through, so every step is seen.
    const gates: Array<() => void> = [];
    const next = () => new Promise<void>(resolve => gates.push(resolve));
    const followNotebookProgress = jest.fn(async function* follow() {
      yield { progress: 0, message: 'Server requested' };
      await next();
      yield { progress: 40, message: 'Pulling image quay.io/x:1' };
      await next();
      yield {
        progress: 100,
        message: 'Server ready at /user/guest/fraud-eda/',
        ready: true,
        url: hubNotebook.url,
      };
    });
    const { dialog, onCreated, onClose } = await openDialog({
      createNotebook: async () => hubNotebook,
      followNotebookProgress,
    });
    await dialog.findByLabelText(/GPU quota/);
    fill(dialog, /Name/, 'fraud-eda');
    fill(dialog, /GPU quota/, 'gpu-cluster-a/fraud');
    fireEvent.click(dialog.getByRole('button', { name: 'Create' }));

    await waitFor(() => expect(onCreated).toHaveBeenCalledWith(hubNotebook));
    expect(onClose).not.toHaveBeenCalled();
    expect(
      await dialog.findByText('0% · Server requested'),
    ).toBeInTheDocument();
    expect(
      dialog.getByText('Starting fraud-eda on JupyterHub…'),
    ).toBeInTheDocument();
    gates.shift()!();
    expect(
      await dialog.findByText('40% · Pulling image quay.io/x:1'),
    ).toBeInTheDocument();
    expect(dialog.getByRole('progressbar')).toHaveAttribute(
      'aria-valuenow',
      '40',
    );
    expect(dialog.queryByRole('link', { name: 'Open JupyterLab' })).toBeNull();
    gates.shift()!();
    const open = await dialog.findByRole('link', { name: 'Open JupyterLab' });
    expect(open).toHaveAttribute('href', hubNotebook.url);
    expect(dialog.getByRole('progressbar')).toHaveAttribute(
      'aria-valuenow',
      '100',
    );
    expect(followNotebookProgress).toHaveBeenCalledWith(
      { cluster: 'gpu-cluster-a', namespace: 'fraud', name: 'fraud-eda' },
      expect.anything(),
    );
    fireEvent.click(dialog.getByRole('button', { name: 'Close' }));
    expect(onClose).toHaveBeenCalled();
  });

  it('says why a JupyterHub notebook did not start', async () => {
    const { dialog } = await openDialog({
      createNotebook: async () => ({
        ...runningNotebook,
        backend: 'jupyterhub' as const,
      }),
      followNotebookProgress: async function* follow() {
        yield { progress: 10, message: 'Requesting gpus 1' };
        yield { failed: true, message: 'Spawn failed: image not found' };
      },
    });
    await dialog.findByLabelText(/GPU quota/);
    fill(dialog, /Name/, 'fraud-eda');
    fill(dialog, /GPU quota/, 'gpu-cluster-a/fraud');
    fireEvent.click(dialog.getByRole('button', { name: 'Create' }));
    expect(
      await dialog.findByText(/fraud-eda did not start/),
    ).toBeInTheDocument();
    expect(
      dialog.getByText('Spawn failed: image not found'),
    ).toBeInTheDocument();
  });

  it("shows the server's refusal verbatim", async () => {
    const message =
      'asked for 3 nvidia.com/gpu in fraud on gpu-cluster-a; 2 free, 0 borrowable';
    const { dialog, onCreated } = await openDialog({
      createNotebook: async () => {
        throw Object.assign(new Error('Request failed with 400 Bad Request'), {
          name: 'ResponseError',
          body: { error: { name: 'InputError', message } },
        });
      },
    });
    await dialog.findByLabelText(/GPU quota/);
    fill(dialog, /Name/, 'fraud-eda');
    fill(dialog, /GPU quota/, 'gpu-cluster-a/fraud');
    fill(dialog, /^GPUs/, '3');
    fireEvent.click(dialog.getByRole('button', { name: 'Create' }));

    expect(await dialog.findByText(message)).toBeInTheDocument();
    expect(
      dialog.getByText(/The ML backend refused the notebook/),
    ).toBeInTheDocument();
    expect(onCreated).not.toHaveBeenCalled();
  });

  it('says so when none of the user teams has a quota, and lists unavailable clusters', async () => {
    const { dialog } = await openDialog(
      {
        getQuotas: async () => ({
          clusters: [
            { name: 'gpu-cluster-a', available: true },
            { name: 'gpu-cluster-b', available: false, error: 'timeout' },
          ],
          quotas: allQuotas.quotas,
        }),
      },
      mockApis.identity({
        userEntityRef: 'user:default/zoe',
        ownershipEntityRefs: ['user:default/zoe', 'group:default/web-team'],
      }),
    );
    expect(
      await dialog.findByText(
        /None of your teams \(web-team\) has a GPU quota/,
      ),
    ).toBeInTheDocument();
    expect(
      dialog.getByText(/gpu-cluster-b unavailable: timeout/),
    ).toBeInTheDocument();
    expect(dialog.getByRole('button', { name: 'Create' })).toBeDisabled();
  });
});
