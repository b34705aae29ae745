import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { S3BucketConfig } from './storageConfig';

/** What one listing of a prefix found. @internal */
export interface S3PrefixStats {
  objectCount: number;
  totalBytes: number;
  newestObjectAt?: string;
  truncated: boolean;
}

/** Thrown when a bucket is not configured: nothing was contacted. @internal */
export class S3BucketNotConfiguredError extends Error {}

/**
 * Lists S3 prefixes of the configured buckets only, each with its own
 * endpoint and credentials. A bucket that is not configured is refused
 * before any client exists for it, so a Dataset's location can never make
 * the backend contact an endpoint of its choosing or sign with a key that
 * belongs to another bucket.
 *
 * @internal
 */
export class S3Prefixes {
  private readonly clients = new Map<string, S3Client>();
  private readonly buckets: Map<string, S3BucketConfig>;

  constructor(
    buckets: S3BucketConfig[],
    private readonly options: {
      maxPages?: number;
      /** Keys per page; default 1000, S3's most. */
      pageSize?: number;
      timeoutMs?: number;
    } = {},
  ) {
    this.buckets = new Map(buckets.map(b => [b.name, b]));
  }

  /** The configured bucket names. */
  names(): string[] {
    return [...this.buckets.keys()];
  }

  /**
   * Counts the objects under `prefix`, their total size and the newest
   * one's time, 1000 keys a page (ListObjectsV2), up to `maxPages` pages
   * (default 100, i.e. 100,000 objects; `truncated` beyond).
   */
  async stats(bucket: string, prefix: string): Promise<S3PrefixStats> {
    const client = this.client(bucket);
    const maxPages = this.options.maxPages ?? 100;
    let objectCount = 0;
    let totalBytes = 0;
    let newest: Date | undefined;
    let token: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const answer = await client.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix || undefined,
          ContinuationToken: token,
          MaxKeys: this.options.pageSize ?? 1000,
        }),
        { abortSignal: AbortSignal.timeout(this.options.timeoutMs ?? 15_000) },
      );
      for (const object of answer.Contents ?? []) {
        objectCount += 1;
        totalBytes += object.Size ?? 0;
        if (object.LastModified && (!newest || object.LastModified > newest)) {
          newest = object.LastModified;
        }
      }
      token = answer.IsTruncated ? answer.NextContinuationToken : undefined;
      if (!token) {
        return {
          objectCount,
          totalBytes,
          newestObjectAt: newest?.toISOString(),
          truncated: false,
        };
      }
    }
    return {
      objectCount,
      totalBytes,
      newestObjectAt: newest?.toISOString(),
      truncated: true,
    };
  }

  close(): void {
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
  }

  private client(bucket: string): S3Client {
    const config = this.buckets.get(bucket);
    if (!config) {
      const known = this.names();
      throw new S3BucketNotConfiguredError(
        `bucket "${bucket}" is not in ml.storage.s3.buckets (configured: ${
          known.length ? known.join(', ') : 'none'
        }); only configured buckets are contacted: add it there with its endpoint and credentials`,
      );
    }
    let client = this.clients.get(bucket);
    if (!client) {
      client = new S3Client({
        endpoint: config.endpoint,
        region: config.region,
        forcePathStyle: config.forcePathStyle,
        credentials: {
          accessKeyId: config.accessKeyId,
          secretAccessKey: config.secretAccessKey,
        },
        // S3-compatible servers (MinIO, Ceph, s3rver) do not all know the
        // SDK's newer default checksums.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        maxAttempts: 2,
      });
      this.clients.set(bucket, client);
    }
    return client;
  }
}
