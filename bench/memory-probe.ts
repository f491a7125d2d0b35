import { GCProfiler, getHeapStatistics, writeHeapSnapshot } from 'node:v8';

/**
 * Preloaded into the service by the memory benchmark (`node --expose-gc -r memory-probe.js`), so
 * that the service itself needs no endpoint for it. Answers over the IPC channel the benchmark
 * opens: `sample` (process.memoryUsage, and the heap after each full collection V8 did since the
 * last answer), `gc` (forces a full collection, then a sample) and `snapshot` (a heap snapshot
 * written to the given file, for finding retainers).
 */

export interface MemorySample {
  id: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** V8's malloced memory outside the heap (its own bookkeeping, compiled code buffers). */
  mallocedMemory: number;
  /** Timers, sockets and other handles keeping the event loop alive. */
  resources: number;
  /** Heap used right after each full (mark-compact) collection since the previous answer. */
  afterMajorGc: number[];
  file?: string;
}

interface Request {
  id: number;
  op: 'sample' | 'gc' | 'snapshot';
  file?: string;
}

// Records V8's own collections, so the live heap is known without forcing any (a forced one
// would reset V8's heap sizing and change what is measured).
let profiler = new GCProfiler();
profiler.start();

function majorCollections(): number[] {
  const result = profiler.stop();
  profiler = new GCProfiler();
  profiler.start();
  return (result?.statistics ?? [])
    .filter((gc) => gc.gcType === 'MarkSweepCompact')
    .map((gc) => gc.afterGC.heapStatistics.usedHeapSize);
}

function sample(id: number): MemorySample {
  const usage = process.memoryUsage();
  return {
    id,
    rss: usage.rss,
    heapUsed: usage.heapUsed,
    heapTotal: usage.heapTotal,
    external: usage.external,
    arrayBuffers: usage.arrayBuffers,
    mallocedMemory: getHeapStatistics().malloced_memory,
    resources: process.getActiveResourcesInfo().length,
    afterMajorGc: majorCollections(),
  };
}

const gc = (globalThis as { gc?: () => void }).gc;

if (process.send) {
  process.on('message', (request: Request) => {
    let file: string | undefined;
    if (request.op === 'gc' || request.op === 'snapshot') {
      if (!gc) throw new Error('memory-probe: start node with --expose-gc');
      // Twice: the first pass may only queue finalisers whose memory the second frees.
      gc();
      gc();
    }
    if (request.op === 'snapshot') file = writeHeapSnapshot(request.file);
    process.send?.({ ...sample(request.id), ...(file ? { file } : {}) });
  });
  // The channel must not keep the service alive on its own, nor change how it shuts down.
  process.channel?.unref();
}
