import { describeStoreConformance } from './store-conformance.js';
import { describeStatusConformance } from './status-conformance.js';
import { describeCallbackLane } from './callback-lane-conformance.js';
import { describeDashboardConformance } from './dashboard-conformance.js';
import { MemoryStore } from '../../lib/testing/memory.store.js';
import type { StoreSource } from '../support/stores.js';

/** One in-memory state per test file; each `open` is another "process" over it. */
const memoryStore: StoreSource = {
  name: 'memory',
  create() {
    const first = new MemoryStore();
    return Promise.resolve({
      open: ({ leaseMs }) => Promise.resolve(first.share({ leaseMs, idleMs: 50 })),
      cleanup: () => {
        first.state.clear();
        return Promise.resolve();
      },
    });
  },
};

describeStoreConformance('memory', memoryStore);
describeStatusConformance('memory', memoryStore);
describeCallbackLane('memory', memoryStore);
describeDashboardConformance('memory', memoryStore);
