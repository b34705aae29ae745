/*
 * Accuracy of the queue-wait estimator (issue 21 item 3; docs/kubernetes.md).
 *
 * Not part of the test suite. Run from the repository root:
 *   scripts/bench.sh waits            (or BENCH_QUICK=1 for 15 days)
 *   node --require ./node_modules/@backstage/cli/config/nodeTransform.cjs bench/waits.ts [--days 60] [--seed 7]
 *
 * The simulated history: two Kueue ClusterQueues without a cohort.
 *   train-cq     flavors a100-80gb (32 GPUs) and h100 (16 GPUs); training
 *                jobs of 1/2/4/8/16 GPUs (40/25/20/10/5 %), 70 % asking for
 *                a100-80gb; run time log-normal, median 2 h (sigma 0.9);
 *                ~70 arrivals a day.
 *   notebook-cq  flavor a100-80gb (8 GPUs); notebooks of 1 or 2 GPUs
 *                (80/20 %), run time log-normal, median 3 h (sigma 0.6);
 *                ~30 arrivals a day.
 * Arrivals are a Poisson process whose rate follows the working day (x 1.8
 * at 14:00 UTC, x 0.2 at 02:00, weekends x 0.4). Admission is Kueue's
 * BestEffortFIFO on each event: pending workloads in creation order, each
 * admitted when its flavor has room, so small requests slip past a large
 * one that does not fit. No preemption, no borrowing.
 *
 * The replay walks the history in time order through the real store
 * (QueueAdmissionStore on in-memory SQLite, migrated as in production):
 * each admission is recorded when it happens, and each workload is predicted
 * at its creation from what was recorded before it, with the estimator the
 * route uses (observedWait: same ClusterQueue, flavor and size bucket, the
 * last 30 days, at least 10 samples), after a warm-up of min(15 days, a
 * third of the run) that only builds history. It prints, over the predicted
 * workloads, the median and p90 of |p50 estimate - actual wait|, how often
 * the actual wait was within the predicted p90, and the share answered "not
 * enough history"; and the same error for a queue-wide median (every size
 * and flavor) as a baseline.
 */
import knexFactory from 'knex';
import { QueueAdmissionStore } from '../plugins/ml-backend/src/database/QueueAdmissionStore';
import {
  observedWait,
  quantile,
} from '../plugins/ml-backend/src/services/queueWaits/estimate';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const QUICK = !!process.env.BENCH_QUICK;
const DAYS = arg('days', QUICK ? 15 : 60);
const SEED = arg('seed', 7);
const HISTORY_DAYS = 30;
const MIN_SAMPLES = 10;
const WARM_UP_DAYS = Math.min(HISTORY_DAYS / 2, Math.floor(DAYS / 3));
const HOUR = 3600;
const DAY = 24 * HOUR;

/** mulberry32: a small seeded generator, so a run can be repeated. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(SEED);
const normal = () =>
  Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const pick = <T>(choices: Array<[T, number]>): T => {
  let r = random();
  for (const [v, p] of choices) {
    if ((r -= p) < 0) return v;
  }
  return choices[choices.length - 1][0];
};

interface Queue {
  name: string;
  capacity: Record<string, number>;
  perDay: number;
  sizes: Array<[number, number]>;
  flavors: Array<[string, number]>;
  medianRunSeconds: number;
  sigma: number;
}

const QUEUES: Queue[] = [
  {
    name: 'train-cq',
    capacity: { 'a100-80gb': 32, h100: 16 },
    perDay: 70,
    sizes: [
      [1, 0.4],
      [2, 0.25],
      [4, 0.2],
      [8, 0.1],
      [16, 0.05],
    ],
    flavors: [
      ['a100-80gb', 0.7],
      ['h100', 0.3],
    ],
    medianRunSeconds: 2 * HOUR,
    sigma: 0.9,
  },
  {
    name: 'notebook-cq',
    capacity: { 'a100-80gb': 8 },
    perDay: 30,
    sizes: [
      [1, 0.8],
      [2, 0.2],
    ],
    flavors: [['a100-80gb', 1]],
    medianRunSeconds: 3 * HOUR,
    sigma: 0.6,
  },
];

interface Job {
  id: number;
  queue: string;
  flavor: string;
  gpus: number;
  created: number;
  run: number;
  admitted?: number;
  /** Whether its flavor had room for it when it arrived (the page's fitsNow). */
  roomOnArrival?: boolean;
}

/** Arrival rate multiplier at time t (seconds): the working day and week. */
function load(t: number): number {
  const hour = (t % DAY) / HOUR;
  const weekday = Math.floor(t / DAY) % 7 < 5;
  const daily = 1 + 0.8 * Math.cos(((hour - 14) / 24) * 2 * Math.PI);
  return daily * (weekday ? 1 : 0.4);
}

function simulate(): Job[] {
  const jobs: Job[] = [];
  for (const q of QUEUES) {
    // Thinning: candidates at the peak rate, kept with load(t) / peak.
    const peak = (q.perDay / DAY) * 1.8;
    for (let t = 0; t < DAYS * DAY; ) {
      t += -Math.log(1 - random()) / peak;
      if (random() > load(t) / 1.8) continue;
      jobs.push({
        id: jobs.length,
        queue: q.name,
        flavor: pick(q.flavors),
        gpus: pick(q.sizes),
        created: t,
        run: q.medianRunSeconds * Math.exp(q.sigma * normal()),
      });
    }
  }
  jobs.sort((a, b) => a.created - b.created);
  // Event-driven BestEffortFIFO per queue and flavor.
  for (const q of QUEUES) {
    for (const flavor of Object.keys(q.capacity)) {
      const mine = jobs.filter(j => j.queue === q.name && j.flavor === flavor);
      const running: Array<{ end: number; gpus: number }> = [];
      const pending: Job[] = [];
      let free = q.capacity[flavor];
      let next = 0;
      const admitAt = (t: number) => {
        for (let i = 0; i < pending.length; ) {
          const j = pending[i];
          if (j.gpus <= free) {
            free -= j.gpus;
            j.admitted = t;
            running.push({ end: t + j.run, gpus: j.gpus });
            pending.splice(i, 1);
          } else i++;
        }
      };
      while (next < mine.length || pending.length) {
        running.sort((a, b) => a.end - b.end);
        const arrival = mine[next]?.created ?? Infinity;
        const finish = running[0]?.end ?? Infinity;
        if (arrival === Infinity && finish === Infinity) break;
        if (arrival <= finish) {
          mine[next].roomOnArrival = mine[next].gpus <= free;
          pending.push(mine[next++]);
          admitAt(arrival);
        } else {
          free += running.shift()!.gpus;
          admitAt(finish);
        }
      }
    }
  }
  return jobs.filter(j => j.admitted !== undefined);
}

async function main() {
  const jobs = simulate();
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: ':memory:' },
    useNullAsDefault: true,
  });
  const store = await QueueAdmissionStore.create({
    database: { getClient: async () => knex, migrations: { skip: false } },
  });
  // Time order: admissions before creations at the same instant.
  const events = [
    ...jobs.map(j => ({ t: j.admitted!, kind: 'admit' as const, j })),
    ...jobs.map(j => ({ t: j.created, kind: 'create' as const, j })),
  ].sort((a, b) => a.t - b.t || (a.kind === 'admit' ? -1 : 1));

  const errors: number[] = [];
  /** Errors of the workloads that did wait (a minute or more). */
  const waitedErrors: number[] = [];
  const baselineErrors: number[] = [];
  /** The same, for the estimate given whether the quota has room now (as the route makes it). */
  const roomErrors: number[] = [];
  const roomWaitedErrors: number[] = [];
  let roomWithinP90 = 0;
  let withinP90 = 0;
  let unanswered = 0;
  let predicted = 0;
  const recent = new Map<string, number[]>(); // queue-wide waits, for the baseline
  const started = Date.now();
  for (const e of events) {
    const j = e.j;
    const wait = j.admitted! - j.created;
    if (e.kind === 'admit') {
      await store.record([
        {
          cluster: 'sim',
          namespace: 'team',
          workload: `job-${j.id}`,
          uid: String(j.id),
          clusterQueue: j.queue,
          flavor: j.flavor,
          resource: 'nvidia.com/gpu',
          gpus: j.gpus,
          createdAt: Math.round(j.created * 1000),
          admittedAt: Math.round(j.admitted! * 1000),
        },
      ]);
      const list = recent.get(j.queue) ?? [];
      list.push(wait);
      recent.set(j.queue, list);
      continue;
    }
    // Warm-up: the first days only build history.
    if (j.created < WARM_UP_DAYS * DAY) continue;
    predicted++;
    const answer = await observedWait(
      store,
      {
        cluster: 'sim',
        clusterQueue: j.queue,
        flavor: j.flavor,
        resource: 'nvidia.com/gpu',
        gpus: j.gpus,
      },
      {
        minSamples: MIN_SAMPLES,
        historyDays: HISTORY_DAYS,
        now: Math.round(j.created * 1000),
      },
    );
    if (!answer.quantiles) {
      unanswered++;
      continue;
    }
    errors.push(Math.abs(answer.quantiles.p50 - wait));
    if (wait >= 60) waitedErrors.push(Math.abs(answer.quantiles.p50 - wait));
    if (wait <= answer.quantiles.p90) withinP90++;
    const queueWide = [...(recent.get(j.queue) ?? [])].sort((a, b) => a - b);
    baselineErrors.push(Math.abs(quantile(queueWide, 0.5) - wait));
    const given = await observedWait(
      store,
      {
        cluster: 'sim',
        clusterQueue: j.queue,
        flavor: j.flavor,
        resource: 'nvidia.com/gpu',
        gpus: j.gpus,
      },
      {
        minSamples: MIN_SAMPLES,
        historyDays: HISTORY_DAYS,
        now: Math.round(j.created * 1000),
        roomNow: j.roomOnArrival,
      },
    );
    const c = given.quantiles!;
    roomErrors.push(Math.abs(c.p50 - wait));
    if (wait >= 60) roomWaitedErrors.push(Math.abs(c.p50 - wait));
    if (wait <= c.p90) roomWithinP90++;
  }
  await knex.destroy();

  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  const minutes = (s: number) => `${(s / 60).toFixed(1)} min`;
  const waits = sorted(jobs.map(j => j.admitted! - j.created));
  const result = {
    days: DAYS,
    seed: SEED,
    workloads: jobs.length,
    predicted,
    answered: errors.length,
    notEnoughHistory: unanswered,
    actualWaitP50Min: quantile(waits, 0.5) / 60,
    actualWaitP90Min: quantile(waits, 0.9) / 60,
    medianAbsErrorMin: quantile(sorted(errors), 0.5) / 60,
    p90AbsErrorMin: quantile(sorted(errors), 0.9) / 60,
    withinPredictedP90: withinP90 / Math.max(1, errors.length),
    waited: waitedErrors.length,
    waitedMedianAbsErrorMin: quantile(sorted(waitedErrors), 0.5) / 60,
    waitedP90AbsErrorMin: quantile(sorted(waitedErrors), 0.9) / 60,
    roomNowMedianAbsErrorMin: quantile(sorted(roomErrors), 0.5) / 60,
    roomNowP90AbsErrorMin: quantile(sorted(roomErrors), 0.9) / 60,
    roomNowWithinPredictedP90: roomWithinP90 / Math.max(1, roomErrors.length),
    roomNowWaitedMedianAbsErrorMin:
      quantile(sorted(roomWaitedErrors), 0.5) / 60,
    roomNowWaitedP90AbsErrorMin: quantile(sorted(roomWaitedErrors), 0.9) / 60,
    baselineMedianAbsErrorMin: quantile(sorted(baselineErrors), 0.5) / 60,
    baselineP90AbsErrorMin: quantile(sorted(baselineErrors), 0.9) / 60,
    replaySeconds: (Date.now() - started) / 1000,
  };
  console.log(
    `simulated ${DAYS} days (seed ${SEED}): ${
      jobs.length
    } admitted workloads; actual wait p50 ${minutes(
      quantile(waits, 0.5),
    )}, p90 ${minutes(quantile(waits, 0.9))}`,
  );
  console.log(
    `predicted ${predicted} workloads after a ${WARM_UP_DAYS}-day warm-up: ${
      errors.length
    } estimated, ${unanswered} "not enough history" (${(
      (100 * unanswered) /
      Math.max(1, predicted)
    ).toFixed(1)} %)`,
  );
  console.log(
    `estimator (queue + flavor + size bucket): median |error| ${minutes(
      quantile(sorted(errors), 0.5),
    )}, p90 |error| ${minutes(
      quantile(sorted(errors), 0.9),
    )}; actual wait within predicted p90: ${(
      100 * result.withinPredictedP90
    ).toFixed(1)} %`,
  );
  console.log(
    `  of those, the ${
      waitedErrors.length
    } that waited >= 1 min: median |error| ${minutes(
      quantile(sorted(waitedErrors), 0.5),
    )}, p90 |error| ${minutes(quantile(sorted(waitedErrors), 0.9))}`,
  );
  console.log(
    `given room now or not (what the route does): median |error| ${minutes(
      quantile(sorted(roomErrors), 0.5),
    )}, p90 |error| ${minutes(
      quantile(sorted(roomErrors), 0.9),
    )}; within predicted p90: ${(
      (100 * roomWithinP90) /
      Math.max(1, roomErrors.length)
    ).toFixed(1)} %; of those that waited: median |error| ${minutes(
      quantile(sorted(roomWaitedErrors), 0.5),
    )}, p90 |error| ${minutes(quantile(sorted(roomWaitedErrors), 0.9))}`,
  );
  console.log(
    `baseline (queue-wide median): median |error| ${minutes(
      quantile(sorted(baselineErrors), 0.5),
    )}, p90 |error| ${minutes(quantile(sorted(baselineErrors), 0.9))}`,
  );
  console.log(JSON.stringify(result));
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
