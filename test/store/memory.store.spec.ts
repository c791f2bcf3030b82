import { describeStoreConformance } from './store-conformance.js';
import { describeStatusConformance } from './status-conformance.js';
import { describeCallbackLane } from './callback-lane-conformance.js';
import { describeDashboardConformance } from './dashboard-conformance.js';
import { MemoryStore } from '../../lib/testing/memory.store.js';
import type { StoreTarget } from './store-targets.js';

/** One in-memory state per test file; each `open` is another "process" over it. */
function memoryTarget(): StoreTarget {
  const first = new MemoryStore();
  return {
    open: ({ leaseMs }) => Promise.resolve(first.share({ leaseMs, idleMs: 50 })),
    drop: () => {
      first.state.clear();
      return Promise.resolve();
    },
  };
}

describeStoreConformance('memory', memoryTarget);
describeStatusConformance('memory', memoryTarget);
describeCallbackLane('memory', memoryTarget);
describeDashboardConformance('memory', memoryTarget);
