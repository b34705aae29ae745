import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';

/** One bucket of `ml.storage.s3.buckets`, read and checked. @internal */
export interface S3BucketConfig {
  name: string;
  /** Absent: AWS S3 itself, in `region`. */
  endpoint?: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
}

/** `ml.storage`, read and checked. @internal */
export interface StorageConfig {
  s3Buckets: S3BucketConfig[];
}

// S3's bucket naming rules (lower case, digits, dots, dashes; 3 to 63).
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Reads `ml.storage` (see config.d.ts). Each bucket names its endpoint and
 * credentials: these are the only S3 endpoints the backend ever contacts.
 *
 * @internal
 */
export function readStorageConfig(config: Config): StorageConfig {
  const buckets = config.getOptionalConfigArray('ml.storage.s3.buckets') ?? [];
  const seen = new Set<string>();
  const s3Buckets = buckets.map((bucket, index): S3BucketConfig => {
    const key = `ml.storage.s3.buckets[${index}]`;
    const name = bucket.getString('name');
    if (!BUCKET_NAME.test(name)) {
      throw new InputError(
        `ml config: ${key}.name must be an S3 bucket name (3-63 lower-case letters, digits, dots, dashes), got "${name}"`,
      );
    }
    if (seen.has(name)) {
      throw new InputError(
        `ml config: ${key}.name "${name}" is configured twice`,
      );
    }
    seen.add(name);
    const endpoint = bucket.getOptionalString('endpoint');
    if (endpoint !== undefined && !/^https?:\/\/[^/\s]+\/?$/.test(endpoint)) {
      throw new InputError(
        `ml config: ${key}.endpoint must be an http(s) URL without a path, like https://minio.example.com:9000, got "${endpoint}"`,
      );
    }
    return {
      name,
      endpoint: endpoint?.replace(/\/$/, ''),
      region: bucket.getOptionalString('region') ?? 'us-east-1',
      accessKeyId: bucket.getString('accessKeyId'),
      secretAccessKey: bucket.getString('secretAccessKey'),
      forcePathStyle: bucket.getOptionalBoolean('forcePathStyle') ?? false,
    };
  });
  return { s3Buckets };
}
