import type { AnyMachineSnapshot } from 'xstate';

/**
 * The machine snapshots of recently written instances, each as of one version. A send first reads
 * the instance's head row (version, definition version); when it matches what is kept here, the
 * stored snapshot is neither read nor parsed nor restored again. A version written by anyone else
 * (another replica) does not match, so the snapshot is read from the database as before.
 *
 * Safe because a snapshot is immutable (XState's transition() returns new ones) and a version is
 * written once: the history's seq.
 */
export class SnapshotCache {
  private readonly entries = new Map<string, Kept>();

  constructor(private readonly capacity: number) {}

  get(id: string, version: number, definitionVersion: string): AnyMachineSnapshot | undefined {
    const kept = this.entries.get(id);
    if (!kept) return undefined;
    if (kept.version !== version || kept.definitionVersion !== definitionVersion) {
      this.entries.delete(id);
      return undefined;
    }
    // Most recently used last, so the first entry is the one to evict.
    this.entries.delete(id);
    this.entries.set(id, kept);
    return kept.snapshot;
  }

  /** Only after the transaction that wrote this version committed. */
  set(id: string, version: number, definitionVersion: string, snapshot: AnyMachineSnapshot): void {
    this.entries.delete(id);
    this.entries.set(id, { version, definitionVersion, snapshot });
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

interface Kept {
  version: number;
  definitionVersion: string;
  snapshot: AnyMachineSnapshot;
}
