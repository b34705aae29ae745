import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { NotebooksResponse } from '@mlplatform/plugin-ml-common';
import {
  mlApiPair,
  NOW,
  pendingNotebook,
  runningNotebook,
  stoppedNotebook,
} from '../../__testUtils__/fixtures';
import { MyNotebooksPage } from './MyNotebooksPage';

function rowOf(name: string) {
  return screen.getByText(name).closest('tr') as HTMLElement;
}

const listed: NotebooksResponse = {
  items: [runningNotebook, stoppedNotebook, pendingNotebook],
  unavailableClusters: [],
};

const identity = mockApis.identity({
  userEntityRef: 'user:default/guest',
  ownershipEntityRefs: ['user:default/guest', 'group:default/fraud-team'],
});

// Each test renders a whole test app; on a busy 2-core machine that can
// take longer than jest's 5 s default.
jest.setTimeout(30_000);

describe('MyNotebooksPage', () => {
  it('lists notebooks with place, phase, GPUs, image, age and an Open link', async () => {
    await renderInTestApp(<MyNotebooksPage now={NOW} />, {
      apis: [mlApiPair({ listNotebooks: async () => listed }), identity],
    });
    expect(await screen.findByText('Notebooks (3)')).toBeInTheDocument();

    const running = within(rowOf('fraud-eda'));
    expect(running.getByText('gpu-cluster-a / fraud')).toBeInTheDocument();
    expect(running.getByText('Running')).toBeInTheDocument();
    expect(running.getByText('nvidia.com/gpu')).toBeInTheDocument();
    expect(running.getByText('pytorch-notebook')).toBeInTheDocument();
    expect(running.getByText('2024-12-02')).toBeInTheDocument();
    expect(running.getByText('3d')).toBeInTheDocument();
    expect(
      running.getByRole('link', { name: 'Open fraud-eda' }),
    ).toHaveAttribute('href', runningNotebook.url);
    expect(
      running.queryByRole('button', { name: 'Start fraud-eda' }),
    ).toBeNull();

    const stopped = within(rowOf('feature-checks'));
    expect(stopped.getByText('Stopped')).toBeInTheDocument();
    expect(stopped.getByText('no GPU')).toBeInTheDocument();
    expect(stopped.getByText('2 CPU · 8Gi')).toBeInTheDocument();
    expect(stopped.getByText('5h')).toBeInTheDocument();
    expect(stopped.queryByRole('link')).toBeNull();

    const pending = within(rowOf('mig-sweep'));
    expect(pending.getByText('Pending')).toBeInTheDocument();
    expect(
      pending.getByText('flavor a100-mig · 4 CPU · 16Gi'),
    ).toBeInTheDocument();
    expect(
      pending.getByText('Workload waiting for quota in ClusterQueue nlp-cq'),
    ).toBeInTheDocument();
  });

  it('stops and starts the right notebook, disables its buttons meanwhile and refreshes', async () => {
    let finishStop: () => void = () => {};
    const stopNotebook = jest.fn(
      () => new Promise<void>(resolve => (finishStop = resolve)),
    );
    const startNotebook = jest.fn(async () => undefined);
    const listNotebooks = jest.fn(async () => listed);
    await renderInTestApp(<MyNotebooksPage now={NOW} />, {
      apis: [
        mlApiPair({ listNotebooks, stopNotebook, startNotebook }),
        identity,
      ],
    });
    await screen.findByText('Notebooks (3)');

    fireEvent.click(screen.getByRole('button', { name: 'Stop fraud-eda' }));
    expect(stopNotebook).toHaveBeenCalledWith({
      cluster: 'gpu-cluster-a',
      namespace: 'fraud',
      name: 'fraud-eda',
    });
    await waitFor(() =>
      expect(
        screen.getByRole('button', { name: 'Delete fraud-eda' }),
      ).toBeDisabled(),
    );
    expect(
      screen.getByRole('button', { name: 'Delete feature-checks' }),
    ).toBeEnabled();
    finishStop();
    await waitFor(() => expect(listNotebooks).toHaveBeenCalledTimes(2));

    fireEvent.click(
      await screen.findByRole('button', { name: 'Start feature-checks' }),
    );
    await waitFor(() =>
      expect(startNotebook).toHaveBeenCalledWith({
        cluster: 'gpu-cluster-a',
        namespace: 'fraud',
        name: 'feature-checks',
      }),
    );
  });

  it('deletes only after confirmation', async () => {
    const deleteNotebook = jest.fn(async () => undefined);
    await renderInTestApp(<MyNotebooksPage now={NOW} />, {
      apis: [
        mlApiPair({ listNotebooks: async () => listed, deleteNotebook }),
        identity,
      ],
    });
    await screen.findByText('Notebooks (3)');

    fireEvent.click(screen.getByRole('button', { name: 'Delete mig-sweep' }));
    const dialog = await screen.findByRole('dialog');
    expect(
      within(dialog).getByText('Delete notebook mig-sweep?'),
    ).toBeInTheDocument();
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(deleteNotebook).not.toHaveBeenCalled();

    fireEvent.click(screen.getByRole('button', { name: 'Delete mig-sweep' }));
    fireEvent.click(
      within(await screen.findByRole('dialog')).getByRole('button', {
        name: 'Delete',
      }),
    );
    await waitFor(() =>
      expect(deleteNotebook).toHaveBeenCalledWith({
        cluster: 'gpu-cluster-b',
        namespace: 'nlp',
        name: 'mig-sweep',
      }),
    );
  });

  it('shows why an action failed in the backend words', async () => {
    await renderInTestApp(<MyNotebooksPage now={NOW} />, {
      apis: [
        mlApiPair({
          listNotebooks: async () => listed,
          stopNotebook: async () => {
            throw Object.assign(new Error('Request failed with 403'), {
              body: {
                error: {
                  name: 'NotAllowedError',
                  message: 'guest is not a member of nlp-team',
                },
              },
            });
          },
        }),
        identity,
      ],
    });
    await screen.findByText('Notebooks (3)');
    fireEvent.click(screen.getByRole('button', { name: 'Stop mig-sweep' }));
    expect(
      await screen.findByText(
        /Could not stop mig-sweep: guest is not a member of nlp-team/,
      ),
    ).toBeInTheDocument();
  });

  it('warns about unavailable clusters and explains an empty list', async () => {
    await renderInTestApp(<MyNotebooksPage now={NOW} />, {
      apis: [
        mlApiPair({
          listNotebooks: async () => ({
            items: [],
            unavailableClusters: ['gpu-cluster-b'],
          }),
        }),
        identity,
      ],
    });
    expect(
      await screen.findByText(/Unavailable: gpu-cluster-b/),
    ).toBeInTheDocument();
    expect(screen.getByText('You have no notebooks yet')).toBeInTheDocument();
  });
});
