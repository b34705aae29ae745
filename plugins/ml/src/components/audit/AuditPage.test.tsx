import { renderInTestApp } from '@backstage/frontend-test-utils';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import {
  MlAuditEvent,
  MlAuditEventsResponse,
  MlAuditQuery,
} from '@mlplatform/plugin-ml-common';
import { mlApiPair, NOW } from '../../__testUtils__/fixtures';
import { AuditPage } from './AuditPage';

jest.setTimeout(30_000);

const event = (
  id: number,
  overrides: Partial<MlAuditEvent> = {},
): MlAuditEvent => ({
  id,
  occurredAt: new Date(NOW - id * 3_600_000).toISOString(),
  actor: 'user:default/alice',
  action: 'ml.notebook.create',
  targetRef: 'notebook:gpu-cluster-a/fraud/alice-explore',
  outcome: 'succeeded',
  details: { gpus: 1, namespace: 'fraud' },
  ...overrides,
});

const promote = event(1, {
  action: 'ml.model.promote',
  targetRef: 'model:default/fraud-detector',
  details: { alias: 'production', fromVersion: 'v1', toVersion: 'v2' },
});
const refused = event(2, {
  actor: 'user:default/carol',
  outcome: 'refused',
  error:
    'user:default/carol is not a member of group:default/fraud-team, which owns namespace fraud on gpu-cluster-a',
});
const failed = event(3, { outcome: 'failed', error: 'cluster unreachable' });

describe('AuditPage', () => {
  it('shows who did what to which entity with outcome chips, details and errors', async () => {
    const getAuditEvents = jest.fn(
      async (): Promise<MlAuditEventsResponse> => ({
        items: [promote, refused, failed],
        scope: 'all',
      }),
    );
    await renderInTestApp(<AuditPage now={NOW} />, {
      apis: [mlApiPair({ getAuditEvents })],
    });
    // The first render in a test file is slow under jest.
    expect(
      await screen.findByText('All actions', {}, { timeout: 10_000 }),
    ).toBeInTheDocument();
    const rowOf = (text: string) =>
      within(screen.getByText(text).closest('tr') as HTMLElement);
    const row = rowOf('model:default/fraud-detector');
    expect(row.getByText('ml.model.promote')).toBeInTheDocument();
    expect(row.getByText('succeeded')).toBeInTheDocument();
    expect(
      row.getByText('alias=production · fromVersion=v1 · toVersion=v2'),
    ).toBeInTheDocument();
    const refusedRow = rowOf(refused.error!);
    expect(refusedRow.getByText('refused')).toBeInTheDocument();
    expect(refusedRow.getByText('user:default/carol')).toBeInTheDocument();
    expect(
      rowOf('cluster unreachable').getByText('failed'),
    ).toBeInTheDocument();
    expect(getAuditEvents).toHaveBeenCalledWith({ limit: 25 });
  });

  it('sends the filters and resets to the first page', async () => {
    const getAuditEvents = jest.fn(
      async (q?: MlAuditQuery): Promise<MlAuditEventsResponse> => ({
        items: q?.action ? [promote] : [promote, refused],
        scope: 'all',
      }),
    );
    await renderInTestApp(<AuditPage now={NOW} />, {
      apis: [mlApiPair({ getAuditEvents })],
    });
    await screen.findByText('All actions');
    fireEvent.change(screen.getByLabelText('Actor'), {
      target: { value: ' user:default/alice ' },
    });
    fireEvent.change(screen.getByLabelText('Entity'), {
      target: { value: 'model:default/fraud-detector' },
    });
    fireEvent.mouseDown(screen.getByLabelText('Action'));
    fireEvent.click(
      within(screen.getByRole('listbox')).getByText('ml.model.promote'),
    );
    fireEvent.change(screen.getByLabelText('From'), {
      target: { value: '2026-11-20T10:00' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    await waitFor(() =>
      expect(getAuditEvents).toHaveBeenLastCalledWith({
        actor: 'user:default/alice',
        action: 'ml.model.promote',
        entity: 'model:default/fraud-detector',
        outcome: undefined,
        from: new Date('2026-11-20T10:00').toISOString(),
        to: undefined,
        limit: 25,
        cursor: undefined,
      }),
    );
    await waitFor(() =>
      expect(screen.queryByText('user:default/carol')).toBeNull(),
    );
  });

  it('pages older and newer with the cursor', async () => {
    const getAuditEvents = jest.fn(
      async (q?: MlAuditQuery): Promise<MlAuditEventsResponse> =>
        q?.cursor === 'page-2'
          ? { items: [failed], scope: 'all' }
          : { items: [promote], nextCursor: 'page-2', scope: 'all' },
    );
    await renderInTestApp(<AuditPage now={NOW} />, {
      apis: [mlApiPair({ getAuditEvents })],
    });
    await screen.findByText('model:default/fraud-detector');
    expect(screen.getByRole('button', { name: 'Newer' })).toBeDisabled();
    fireEvent.click(screen.getByRole('button', { name: 'Older' }));
    expect(await screen.findByText('cluster unreachable')).toBeInTheDocument();
    expect(getAuditEvents).toHaveBeenLastCalledWith({
      limit: 25,
      cursor: 'page-2',
    });
    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'Older' })).toBeDisabled(),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Newer' }));
    expect(
      await screen.findByText('model:default/fraud-detector'),
    ).toBeInTheDocument();
  });

  it('tells a user without ml.audit.read that they see their own actions only', async () => {
    await renderInTestApp(<AuditPage now={NOW} />, {
      apis: [
        mlApiPair({
          getAuditEvents: async () => ({ items: [refused], scope: 'own' }),
        }),
      ],
    });
    expect(await screen.findByText('Your actions')).toBeInTheDocument();
    expect(
      screen.getByText(/reading everyone’s needs the ml.audit.read permission/),
    ).toBeInTheDocument();
    expect(screen.getByLabelText('Actor')).toBeDisabled();
  });

  it('shows the backend’s reason when the audit trail cannot be loaded', async () => {
    await renderInTestApp(<AuditPage now={NOW} />, {
      apis: [
        mlApiPair({
          getAuditEvents: async () => {
            throw new Error('Invalid query: from: from must be before to');
          },
        }),
      ],
    });
    expect(
      await screen.findByText(/Could not load the audit trail/),
    ).toBeInTheDocument();
  });
});
