/**
 * The engine Worker (built to dist/worker.js): one model per Worker, driven by worker-model.ts through Comlink.
 * Errors come back as data (wire.ts) so that a NeuropodError keeps its code.
 */
import * as Comlink from 'comlink';
import { LocalModel, load } from '../api/model.js';
import type { LoadOptions } from '../api/options.js';
import type { PackageSource } from '../archive/open-package.js';
import type { OpTiming } from '../runtime/executor.js';
import type { SelfTestOptions, SelfTestReport } from '../testing/self-test.js';
import { bytesFromWire, isWireBytes, reply, tensorsFromWire, tensorsToWire, type Reply, type WireBytes, type WireTensor } from './wire.js';

export type WorkerLoadOptions = Pick<LoadOptions, 'backend' | 'validate' | 'threads' | 'cache'>;

export interface ModelInfo {
  name: string;
  platform: string;
  inputs: LocalModel['inputs'];
  outputs: LocalModel['outputs'];
  backend: LocalModel['backend'];
  pipelineMs: number | undefined;
}

export interface InferReply {
  outputs: [string, WireTensor][];
  timings: OpTiming[];
}

let model: LocalModel | undefined;

const engine = {
  /**
   * Takes a Web Lock named by the page and holds it for the Worker's life: when the Worker dies in any way (an
   * uncaught error, self.close(), out of memory, killed), the browser releases it and the page learns of it.
   */
  async holdLifeLock(name: string): Promise<boolean> {
    if (!navigator.locks) return false;
    // An opaque origin (a sandboxed frame) refuses locks: then the page watches for errors only.
    return new Promise<boolean>((answer) => {
      navigator.locks.request(name, () => (answer(true), new Promise<never>(() => {}))).catch(() => answer(false));
    });
  },

  load(source: PackageSource | WireBytes, options: WorkerLoadOptions): Promise<Reply<ModelInfo>> {
    return reply(async () => {
      const loaded = await load(isWireBytes(source) ? await bytesFromWire(source) : source, { ...options, worker: false });
      if (!(loaded instanceof LocalModel)) throw new Error('the engine Worker expected a model that runs in place');
      model = loaded;
      return { name: loaded.name, platform: loaded.platform, inputs: loaded.inputs, outputs: loaded.outputs, backend: loaded.backend, pipelineMs: loaded.pipelineMs };
    });
  },

  /** Outputs are transferred, not copied, unless their storage is the model's own (a weight, a variable). */
  async infer(inputs: [string, WireTensor][], outputs: readonly string[] | undefined): Promise<Reply<InferReply>> {
    let transfer: ArrayBuffer[] = [];
    const answer = await reply(async () => {
      const running = loaded();
      const produced = await running.infer(new Map(tensorsFromWire(inputs)), { outputs });
      const wire = tensorsToWire(Object.entries(produced), (buffer) => !running.retains(buffer));
      transfer = wire.transfer;
      return { outputs: wire.tensors, timings: running.profile() };
    });
    return Comlink.transfer(answer, transfer);
  },

  selfTest(options: SelfTestOptions): Promise<Reply<SelfTestReport>> {
    return reply(() => loaded().selfTest(options));
  },
};

function loaded(): LocalModel {
  if (!model) throw new Error('the engine Worker has no model loaded');
  return model;
}

export type EngineApi = typeof engine;

Comlink.expose(engine);
