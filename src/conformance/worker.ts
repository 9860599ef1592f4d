import { parentPort, workerData } from 'node:worker_threads';
import { backendNamed } from './backends.js';
import type { TestRef } from './cases.js';
import { runTest } from './run-test.js';

/** A conformance worker: runs the tests it is sent, one at a time, on the backend named in workerData. */
const backend = await backendNamed((workerData as { backend: string }).backend);
parentPort!.on('message', (ref: TestRef) => {
  void runTest(ref, backend).then((result) => parentPort!.postMessage(result));
});
parentPort!.postMessage({ ready: true });
