import { describePendingReason } from './pendingReason';

const UNUSED =
  "couldn't assign flavors to pod set main: insufficient unused quota for nvidia.com/gpu in flavor a100, 2 more needed";

describe('describePendingReason', () => {
  it('says how many GPUs of which type are missing and how many wait ahead', () => {
    expect(
      describePendingReason({
        kind: 'Workload',
        reason: 'Pending',
        message: UNUSED,
        positionInClusterQueue: 3,
        positionInLocalQueue: 3,
      }),
    ).toBe(
      "Waiting: the team's queue needs 2 more A100 GPUs than are free; 3 workloads are ahead of it",
    );
  });

  it('says when it is next, and how many of the ahead are its own team', () => {
    expect(
      describePendingReason({
        message: UNUSED,
        positionInClusterQueue: 0,
        positionInLocalQueue: 0,
      }),
    ).toMatch(/; it is next in line$/);
    expect(
      describePendingReason({
        message: UNUSED,
        positionInClusterQueue: 1,
        positionInLocalQueue: 0,
      }),
    ).toMatch(/; 1 workload is ahead of it \(0 from its own team's queue\)$/);
  });

  it('leaves the position out when the visibility API did not answer', () => {
    expect(describePendingReason({ message: UNUSED })).toBe(
      "Waiting: the team's queue needs 2 more A100 GPUs than are free",
    );
  });

  it('lists every flavor Kueue tried, and names MIG slices', () => {
    expect(
      describePendingReason({
        message:
          "couldn't assign flavors to pod set main: insufficient unused quota for nvidia.com/gpu in flavor a100-80gb, 1 more needed, insufficient unused quota for nvidia.com/mig-1g.10gb in flavor mig, 4 more needed",
      }),
    ).toBe(
      "Waiting: the team's queue needs 1 more A100-80GB GPU or 4 more MIG 1g.10gb slices than are free",
    );
  });

  it('says a request larger than the queue can ever hold will not start (both Kueue formats)', () => {
    const expected =
      "Won't start as asked: it needs 24 A100 GPUs but the queue can never have more than 16, even borrowing; ask for fewer or for a bigger quota";
    expect(
      describePendingReason({
        reason: 'ExceedsMaxQuota',
        message:
          "couldn't assign flavors to pod set main: insufficient quota for nvidia.com/gpu in flavor a100, previously considered podsets requests (0) + current podset request (24) > maximum capacity (16)",
      }),
    ).toBe(expected);
    expect(
      describePendingReason({
        reason: 'Pending',
        message:
          "couldn't assign flavors to pod set main: insufficient quota for nvidia.com/gpu in flavor a100, request > maximum capacity (24 > 16)",
      }),
    ).toBe(expected);
  });

  it('explains a queue without the resource, and stopped or missing queues', () => {
    expect(
      describePendingReason({
        message:
          "couldn't assign flavors to pod set main: resource nvidia.com/gpu unavailable in ClusterQueue",
      }),
    ).toBe(
      "Won't start here: the team's queue has no GPUs at all; use a queue that offers them",
    );
    expect(
      describePendingReason({
        reason: 'Inadmissible',
        message: 'ClusterQueue team-cq is inactive',
      }),
    ).toBe(
      'Paused: the cluster queue team-cq is stopped; the platform team has to turn it back on',
    );
    expect(
      describePendingReason({
        reason: 'Inadmissible',
        message: "LocalQueue team doesn't exist",
      }),
    ).toBe(
      "Won't start: the queue team does not exist in this namespace; check the queue name",
    );
  });

  it('explains quota-refused and unschedulable pods', () => {
    expect(
      describePendingReason({
        kind: 'Pod',
        reason: 'FailedCreate',
        message:
          'Error creating: pods "trainer-0" is forbidden: exceeded quota: gpu-quota, requested: requests.nvidia.com/gpu=4, used: requests.nvidia.com/gpu=6, limited: requests.nvidia.com/gpu=8',
      }),
    ).toBe(
      'Refused: the namespace quota gpu-quota allows 8 GPUs, 6 are in use and this asks for 4',
    );
    expect(
      describePendingReason({
        kind: 'Pod',
        reason: 'FailedScheduling',
        message: '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.',
      }),
    ).toBe('Not scheduled: no node has enough free GPUs right now');
  });

  it('keeps a message it does not know as Kueue wrote it', () => {
    expect(
      describePendingReason({ reason: 'Pending', message: 'something new' }),
    ).toBe('Waiting: something new');
    expect(describePendingReason({ message: '' })).toBe(
      'Waiting: Kueue has not reserved quota for it yet',
    );
  });
});
