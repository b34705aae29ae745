/**
 * The objects of the demo's S3 Datasets (examples/ml: `s3://ml-raw/...`,
 * `s3://ml-serving/...`), written to the demo's s3rver by demoS3Cli.ts so
 * their pages show live facts: object count, total size, newest object and
 * the freshness verdict. Times are relative to the seed's `now`; sizes are
 * fixed, so a test can add them up.
 *
 * daily-recommendations is stale on purpose: its batch scoring last wrote
 * 3 days and 4 hours before the seed, over its 24h objective.
 */
import { S3Handle } from './s3';

/** The buckets the demo's Datasets name. @public */
export const DEMO_S3_BUCKETS = ['ml-raw', 'ml-serving'] as const;

/** One object of the demo seed. @public */
export interface DemoS3Object {
  bucket: (typeof DEMO_S3_BUCKETS)[number];
  key: string;
  bytes: number;
  lastModified: Date;
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;

const day = (t: number) => new Date(t).toISOString().slice(0, 10);
const hour = (t: number) => new Date(t).toISOString().slice(11, 13);
/** A size that varies per object but is the same on every seed. */
const size = (base: number, spread: number, i: number) =>
  base + ((i * 7919) % spread);

/**
 * The demo's objects for a seed at `now` (ms since the epoch; rounded down
 * to a second, as S3 reports times).
 *
 * @public
 */
export function demoS3Objects(now: number = Date.now()): DemoS3Object[] {
  const t0 = Math.floor(now / 1000) * 1000;
  const objects: DemoS3Object[] = [];
  const add = (
    bucket: DemoS3Object['bucket'],
    key: string,
    bytes: number,
    at: number,
  ) => objects.push({ bucket, key, bytes, lastModified: new Date(at) });

  // card-transactions-raw: the payments platform's nightly export, 4 parts
  // a day for the last week, the newest 2 h old (objective 24h: fresh).
  for (let d = 0; d < 7; d++) {
    const at = t0 - 2 * HOUR - d * DAY;
    const prefix = `fraud/card-transactions/dt=${day(at - DAY)}`;
    for (let p = 0; p < 4; p++) {
      add(
        'ml-raw',
        `${prefix}/part-${String(p).padStart(5, '0')}.snappy.parquet`,
        size(180_000, 90_000, d * 4 + p),
        at - (4 - p) * 60_000,
      );
    }
    add('ml-raw', `${prefix}/_SUCCESS`, 0, at);
  }

  // chargeback-labels: a weekly CSV, the newest 2 days old (objective 7d: fresh).
  for (let w = 0; w < 6; w++) {
    const at = t0 - 2 * DAY - w * 7 * DAY;
    add(
      'ml-raw',
      `fraud/chargebacks/chargebacks-${day(at)}.csv`,
      size(48_000, 30_000, w),
      at,
    );
  }

  // support-tickets-raw: an hourly dump for the last day, the newest
  // 25 minutes old (objective 24h: fresh).
  for (let h = 0; h < 24; h++) {
    const at = t0 - 25 * 60_000 - h * HOUR;
    add(
      'ml-raw',
      `nlp/support-tickets/${day(at)}/tickets-${hour(at)}.jsonl`,
      size(32_000, 24_000, h),
      at,
    );
  }

  // clickstream-raw: hourly event files for two days, the newest 5 minutes
  // old; no objective (its verdict is unknown, with that reason).
  for (let h = 0; h < 48; h++) {
    const at = t0 - 5 * 60_000 - h * HOUR;
    add(
      'ml-raw',
      `recsys/clickstream/date=${day(at)}/hour=${hour(at)}/events-0.jsonl`,
      size(52_000, 40_000, h),
      at,
    );
  }

  // daily-recommendations: 4 parts per scoring run; the last run wrote
  // 3 days 4 hours ago (objective 24h: stale).
  for (let d = 0; d < 5; d++) {
    const at = t0 - 3 * DAY - 4 * HOUR - d * DAY;
    for (let p = 0; p < 4; p++) {
      add(
        'ml-serving',
        `recsys/daily-recommendations/run_date=${day(at)}/part-${String(
          p,
        ).padStart(5, '0')}.parquet`,
        size(140_000, 60_000, d * 4 + p),
        at - (4 - p) * 60_000,
      );
    }
  }
  return objects;
}

// Enough of each format to look like one when someone downloads an object.
function body(key: string, bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  if (key.endsWith('.parquet')) {
    if (bytes >= 8) {
      out.write('PAR1', 0);
      out.write('PAR1', bytes - 4);
    }
    return out;
  }
  const line = key.endsWith('.csv')
    ? 'transaction_id,card_id,chargeback_at,reason_code\n'
    : '{"id":"0","ts":"2026-01-01T00:00:00Z","text":""}\n';
  for (let at = 0; at < bytes; at += line.length) out.write(line, at);
  return out;
}

/**
 * Writes {@link demoS3Objects} to a running s3rver (its buckets created,
 * e.g. `startS3({ buckets: [...DEMO_S3_BUCKETS] })`) and sets their times.
 * s3rver accepts unsigned requests, so plain PUTs do.
 *
 * @public
 */
export async function seedDemoS3(
  s3: S3Handle,
  now: number = Date.now(),
): Promise<DemoS3Object[]> {
  const objects = demoS3Objects(now);
  for (const o of objects) {
    const res = await fetch(`${s3.endpoint}/${o.bucket}/${o.key}`, {
      method: 'PUT',
      body: body(o.key, o.bytes),
    });
    if (!res.ok) {
      throw new Error(
        `seeding s3://${o.bucket}/${o.key} failed: HTTP ${
          res.status
        } ${await res.text()}`,
      );
    }
    await res.arrayBuffer();
    s3.setLastModified(o.bucket, o.key, o.lastModified);
  }
  // s3rver may still be finishing a file after it answered the PUT, which
  // resets the time just set (a CI run saw one object at its upload time):
  // each time is checked as S3 reports it, and set again until it holds.
  for (const o of objects) {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(`${s3.endpoint}/${o.bucket}/${o.key}`, {
        method: 'HEAD',
      });
      const reported = Date.parse(res.headers.get('last-modified') ?? '');
      if (reported === o.lastModified.getTime()) break;
      if (attempt === 20) {
        throw new Error(
          `seeding s3://${o.bucket}/${
            o.key
          }: Last-Modified stays ${res.headers.get(
            'last-modified',
          )}, not ${o.lastModified.toUTCString()}`,
        );
      }
      await new Promise(r => setTimeout(r, 50));
      s3.setLastModified(o.bucket, o.key, o.lastModified);
    }
  }
  return objects;
}

/**
 * `ml.storage` for the demo's buckets on `s3` (config.d.ts of the ML
 * backend): s3rver's key pair, path-style URLs.
 *
 * @public
 */
export function demoS3StorageConfig(s3: S3Handle) {
  return {
    s3: {
      buckets: DEMO_S3_BUCKETS.map(name => ({
        name,
        endpoint: s3.endpoint,
        region: s3.region,
        accessKeyId: s3.accessKeyId,
        secretAccessKey: s3.secretAccessKey,
        forcePathStyle: true,
      })),
    },
  };
}
