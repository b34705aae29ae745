/**
 * A PVC of the demo clusters (examples/kube) whose kubelet volume stats
 * the demo Prometheus holds, so the Dataset that lives on it shows its used
 * bytes on its Live facts card.
 *
 * @public
 */
export const DEMO_VOLUMES = [
  {
    cluster: 'gpu-cluster-b',
    namespace: 'nlp',
    persistentvolumeclaim: 'support-tickets-curated',
    capacityBytes: 50 * 1024 ** 3,
    /** About 31 GiB, growing ~40 MiB an hour as tickets are curated. */
    usedBytesAt: (t: number) =>
      Math.round(31 * 1024 ** 3 + ((t % 86400) / 3600) * 40 * 1024 ** 2),
  },
] as const;

/**
 * The kubelet's volume stats of {@link DEMO_VOLUMES} at `t` (unix
 * seconds), as `[name, labels, value]` samples.
 *
 * @internal
 */
export function demoVolumeSamples(
  t: number,
): Array<[name: string, labels: Record<string, string>, value: number]> {
  return DEMO_VOLUMES.flatMap(v => {
    const labels = {
      cluster: v.cluster,
      namespace: v.namespace,
      persistentvolumeclaim: v.persistentvolumeclaim,
    };
    const used = v.usedBytesAt(t);
    return [
      ['kubelet_volume_stats_capacity_bytes', labels, v.capacityBytes],
      ['kubelet_volume_stats_used_bytes', labels, used],
      ['kubelet_volume_stats_available_bytes', labels, v.capacityBytes - used],
    ] as Array<[string, Record<string, string>, number]>;
  });
}
