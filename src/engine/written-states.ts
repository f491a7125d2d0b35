import type { AnyMachineSnapshot } from 'xstate';
import type { Deadline } from '../../workflows/kit';

/** What this process wrote for an instance at one version. */
export interface Written {
  version: number;
  definitionVersion: string;
  snapshot: AnyMachineSnapshot;
  /** The deadlines stored with it (only the engine writes them). */
  deadlines: readonly Deadline[];
}

/**
 * The state of recently written instances, each as of one version. A send first reads the
 * instance's head row (version, definition version); when it matches what is kept here, the stored
 * snapshot is neither read nor parsed nor restored again, and the stored deadlines are known
 * without reading them. A version written by anyone else (another replica) does not match, so
 * both are read from the database as before.
 *
 * Safe because a snapshot is immutable (XState's transition() returns new ones) and a version is
 * written once: the history's seq.
 */
export class WrittenStates {
  private readonly entries = new Map<string, Written>();

  constructor(private readonly capacity: number) {}

  get(id: string, version: number, definitionVersion: string): Written | undefined {
    const kept = this.entries.get(id);
    if (!kept) return undefined;
    this.entries.delete(id);
    if (kept.version !== version || kept.definitionVersion !== definitionVersion) return undefined;
    // Most recently used last, so the first entry is the one to evict.
    this.entries.set(id, kept);
    return kept;
  }

  /** Only after the transaction that wrote this version committed. */
  set(id: string, written: Written): void {
    this.entries.delete(id);
    this.entries.set(id, written);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }
}
