/*
 * When the built-in controllers run: after the outermost write (a client
 * request, a batch, a controller's later step) is done, on every event it
 * committed, in order — so a controller sees a finished write, and its own
 * writes are seen in turn. A StatusError a controller throws (a rejected
 * write) is that controller's problem, not the client's.
 */
import { StatusError } from './status';
import { Store, StoreEvent } from './store';

/** A controller: sees every committed change; may write through the cluster. */
export type Controller = (e: StoreEvent) => void;

/** Runs the controllers after each outermost write, and the delayed writes of later(). */
export class Reactor {
  private readonly controllers: Controller[] = [];
  private readonly pending: StoreEvent[] = [];
  private depth = 0;
  private draining = false;
  private readonly pendingTimers = new Set<NodeJS.Timeout>();

  constructor(store: Store) {
    store.subscribe(e => {
      if (this.controllers.length) this.pending.push(e);
    });
  }

  addController(c: Controller): void {
    this.controllers.push(c);
  }

  /** Runs `fn` as one client write; controllers react once the outermost write is done. */
  write<T>(fn: () => T): T {
    this.depth++;
    try {
      return fn();
    } finally {
      this.depth--;
      if (this.depth === 0) this.drain();
    }
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      let guard = 0;
      while (this.pending.length && guard++ < 10000) {
        const e = this.pending.shift()!;
        for (const c of this.controllers) {
          this.depth++;
          try {
            c(e);
          } catch (err) {
            if (!(err instanceof StatusError)) throw err;
          } finally {
            this.depth--;
          }
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /** Runs `fn` as one write after `ms`; cancelled by close(). */
  later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.pendingTimers.delete(timer);
      try {
        this.write(fn);
      } catch (err) {
        if (!(err instanceof StatusError)) throw err;
      }
    }, ms);
    this.pendingTimers.add(timer);
  }

  /** Cancels the writes still waiting in later(). */
  close(): void {
    for (const timer of this.pendingTimers) clearTimeout(timer);
    this.pendingTimers.clear();
  }
}
