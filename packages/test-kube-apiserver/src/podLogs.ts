/*
 * SIMULATED container logs: what the kubelet would have read from the
 * container runtime, kept per pod (by uid, so a re-created pod starts over)
 * and container. The kubelet controller writes the lines a pod starts with;
 * tests append more through the server handle and followers see them live.
 */

/** One line of a container's log, with the time the runtime stamped it. */
export interface PodLogLine {
  /** RFC 3339 with nanoseconds, as `?timestamps=true` prints it. */
  time: string;
  /** Milliseconds since the epoch, for `sinceSeconds` / `sinceTime`. */
  ms: number;
  text: string;
}

/**
 * Seeds a pod's log: a JSON object of container name to lines
 * (`{"main": ["a", "b"]}`), or plain text whose lines go to every container.
 */
export const LOGS_ANNOTATION = 'kube-apiserver.test/logs';

type Listener = (line: PodLogLine) => void;

/** Told to followers when the container exits. */
const END: PodLogLine = { time: '', ms: 0, text: '' };

/** RFC3339Nano of `ms` (the runtime's nanoseconds are zeros here). */
export function rfc3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/** Every container log of every pod the kubelet has started. */
export class PodLogs {
  private readonly lines = new Map<string, PodLogLine[]>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly closed = new Set<string>();

  private key(podUid: string, container: string): string {
    return `${podUid}/${container}`;
  }

  /** Whether the kubelet has started this container (its log exists). */
  has(podUid: string, container: string): boolean {
    return this.lines.has(this.key(podUid, container));
  }

  /** Creates the container's log, once; later calls keep what is there. */
  start(podUid: string, container: string, initial: string[]): void {
    const k = this.key(podUid, container);
    if (this.lines.has(k)) return;
    this.lines.set(k, []);
    for (const text of initial) this.append(podUid, container, text);
  }

  /** Appends one line (newlines split it into several) and tells followers. */
  append(podUid: string, container: string, text: string, at = Date.now()) {
    const k = this.key(podUid, container);
    const log = this.lines.get(k) ?? [];
    this.lines.set(k, log);
    for (const part of text.split('\n')) {
      const line = { time: rfc3339Nano(at), ms: at, text: part };
      log.push(line);
      for (const l of this.listeners.get(k) ?? []) l(line);
    }
  }

  /** The container's lines so far (empty when it never started). */
  read(podUid: string, container: string): PodLogLine[] {
    return [...(this.lines.get(this.key(podUid, container)) ?? [])];
  }

  /** Marks the container exited: followers' streams end, as the kubelet's do. */
  terminate(podUid: string, container: string): void {
    const k = this.key(podUid, container);
    this.closed.add(k);
    for (const l of this.listeners.get(k) ?? []) l(END);
    this.listeners.delete(k);
  }

  /** Whether the container has exited. */
  terminated(podUid: string, container: string): boolean {
    return this.closed.has(this.key(podUid, container));
  }

  /**
   * Calls `onLine` for every new line until the returned function is called
   * or the container exits (then `onEnd`).
   */
  follow(
    podUid: string,
    container: string,
    onLine: (line: PodLogLine) => void,
    onEnd: () => void,
  ): () => void {
    const k = this.key(podUid, container);
    const listener: Listener = line => (line === END ? onEnd() : onLine(line));
    const set = this.listeners.get(k) ?? new Set();
    set.add(listener);
    this.listeners.set(k, set);
    return () => set.delete(listener);
  }
}

/**
 * The lines a container starts with: the seed annotation's, else a
 * deterministic few naming the pod, container and image, so every test run
 * reads the same text.
 */
export function initialLines(pod: any, container: any): string[] {
  const seeded = pod.metadata.annotations?.[LOGS_ANNOTATION];
  if (typeof seeded === 'string' && seeded.length) {
    try {
      const byContainer = JSON.parse(seeded);
      if (byContainer && typeof byContainer === 'object') {
        const lines = byContainer[container.name];
        return Array.isArray(lines) ? lines.map(String) : [];
      }
    } catch {
      // not JSON: the same plain lines for every container
    }
    return seeded.split('\n');
  }
  const { namespace, name } = pod.metadata;
  return [
    `starting ${container.name} (${container.image}) in pod ${namespace}/${name}`,
    `${container.name}: loaded configuration`,
    `${container.name}: ready`,
  ];
}
