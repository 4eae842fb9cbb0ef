import { batchSizeFor } from '../../src/worker/worker.js';

// A worker's slots fetch batchSizeFor(WORKER_CONCURRENCY, WORKER_BATCH_SIZE) jobs each, in concurrency / batch slots.
it.each([
  [8, 1, 1],
  [8, 4, 4],
  [8, 3, 2],
  [8, 20, 8],
  [7, 4, 1],
  [2, 2, 2],
])('concurrency %i, WORKER_BATCH_SIZE %i: batches of %i, never more jobs at once than the concurrency', (concurrency, wanted, batch) => {
  expect(batchSizeFor(concurrency, wanted)).toBe(batch);
  expect(concurrency % batch).toBe(0);
});
