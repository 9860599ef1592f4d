import type { PackageSource } from '../archive/open-package.js';
import type { OpTiming } from '../runtime/executor.js';
import { frozenSpecs } from '../spec/frozen-specs.js';
import type { TensorSpec } from '../spec/types.js';
import { validateAgainstSpec } from '../spec/validate.js';
import { Tensor } from '../tensor/tensor.js';
import { NeuropodError, runtimeError } from './errors.js';
import { inputMap, type InferInputs } from './infer-inputs.js';
import { openModel, type OpenedModel } from './open-model.js';
import { resolveOptions, throwIfAborted, type BackendName, type InferOptions, type LoadOptions } from './options.js';
import { Session } from './session.js';
import { isGpuBufferTensor, type GpuBufferTensor } from '../backends/webgpu/gpu-buffer-tensor.js';
import type { SelfTestOptions, SelfTestReport } from '../testing/self-test.js';
import { chooseBackend } from '../backends/index.js';
import { loadInWorker } from '../worker/worker-model.js';

export type { InferInputs };

/**
 * Opens a Neuropod package (or a bare ONNX / TF.js model), imports it and readies it to run. In a page the engine
 * runs in a dedicated Worker (docs/browser.md); `worker: false`, Node and the caller's own Worker run it in place.
 */
export async function load(source: PackageSource, options: LoadOptions = {}): Promise<Model> {
  const resolved = resolveOptions(options);
  throwIfAborted(options.signal, 'load()');
  if (resolved.worker) return loadInWorker(source, options);
  const backend = await chooseBackend(resolved.backend);
  const opened = await openModel(source, { signal: options.signal, cache: resolved.cache });
  const session = opened.imported ? await Session.open(opened.imported, opened.source, backend, { threads: resolved.threads }) : opened.unavailable!;
  throwIfAborted(options.signal, 'load()');
  return new LocalModel(opened, session, backend.name, resolved.validate);
}

/** A loaded model: its Neuropod spec, and `infer`. The same surface whether it runs here or in a Worker. */
export interface Model {
  readonly name: string;
  readonly platform: string;
  /** The input spec, in config order; dims are null (any), a size, or a symbol. */
  readonly inputs: readonly Readonly<TensorSpec>[];
  readonly outputs: readonly Readonly<TensorSpec>[];
  /** Where it runs: the backend chosen at load ('auto' resolved). Ops without a kernel there run on 'cpu'; profile() says which. */
  readonly backend: BackendName;
  /**
   * Milliseconds the webgpu backend spent creating compute pipelines in load() (part of the load time; after a
   * device loss, in the first call on the new device); undefined on other backends.
   */
  readonly pipelineMs: number | undefined;
  /**
   * Runs the model. Inputs are checked against the input spec first and outputs against the output spec after
   * (unless load() had validate: false); absent inputs are allowed, as in Neuropod. With `outputsOn: 'gpu'`
   * (webgpu, worker: false) the outputs stay on the GPU (docs/api.md, "GPU tensors").
   */
  infer(inputs: InferInputs, options: InferOptions & { outputsOn: 'gpu' }): Promise<Record<string, GpuBufferTensor>>;
  infer(inputs: InferInputs, options?: InferOptions): Promise<Record<string, Tensor>>;
  /** Per-operator timings of the last infer(). */
  profile(): OpTiming[];
  /** Runs the package's test_data.pkl and checks the outputs as Neuropod's packager does (docs/testing.md). */
  selfTest(options?: SelfTestOptions): Promise<SelfTestReport>;
  dispose(): Promise<void>;
}

/** A model whose engine runs in the calling thread. */
export class LocalModel implements Model {
  readonly name: string;
  readonly platform: string;
  /** The input spec, in config order; dims are null (any), a size, or a symbol. */
  readonly inputs: readonly Readonly<TensorSpec>[];
  readonly outputs: readonly Readonly<TensorSpec>[];
  /** Where it runs: the backend chosen at load ('auto' resolved). Ops without a kernel there run on 'cpu'; profile() says which. */
  readonly backend: BackendName;
  /** The runnable session; the reason it cannot run (platform unsupported); undefined once disposed. */
  private session: Session | NeuropodError | undefined;
  private timings: OpTiming[] = [];
  private readonly testData: Pick<OpenedModel, 'source' | 'readTestData'>;

  /** Use load(); the constructor is internal. */
  constructor(
    opened: OpenedModel,
    session: Session | NeuropodError,
    backend: BackendName,
    private readonly validate: boolean,
  ) {
    this.backend = backend;
    this.name = opened.name;
    this.platform = opened.platform;
    this.inputs = frozenSpecs(opened.inputs);
    this.outputs = frozenSpecs(opened.outputs);
    this.session = session;
    this.testData = { source: opened.source, readTestData: opened.readTestData };
  }

  get pipelineMs(): number | undefined {
    return this.session instanceof Session ? this.session.pipelineMs : undefined;
  }

  infer(inputs: InferInputs, options: InferOptions & { outputsOn: 'gpu' }): Promise<Record<string, GpuBufferTensor>>;
  infer(inputs: InferInputs, options?: InferOptions): Promise<Record<string, Tensor>>;
  async infer(inputs: InferInputs, options: InferOptions = {}): Promise<Record<string, Tensor | GpuBufferTensor>> {
    const session = this.live();
    throwIfAborted(options.signal, 'infer()');
    const outputsOn = options.outputsOn ?? 'cpu';
    if (outputsOn !== 'cpu' && outputsOn !== 'gpu') throw new NeuropodError('USAGE', `infer(): outputsOn must be 'cpu' or 'gpu'; got ${JSON.stringify(options.outputsOn)}`);
    const given = inputMap(inputs);
    if (this.validate) validateAgainstSpec(given, this.inputs, 'input');
    else rejectUnknownInputs(given, this.inputs, session);
    const wanted = this.requested(options.outputs, session);
    const timings: OpTiming[] = [];
    const produced = await session.run(given, wanted, timings, outputsOn);
    this.timings = timings;
    try {
      throwIfAborted(options.signal, 'infer()');
      if (this.validate) validateAgainstSpec(produced, this.outputs, 'output');
    } catch (e) {
      // Outputs the caller never receives cannot be freed by the caller.
      for (const t of produced.values()) if (isGpuBufferTensor(t)) t.dispose();
      throw e;
    }
    return Object.fromEntries(produced);
  }

  /** Whether an output's storage is the model's own (a weight, a variable): a Worker copies it rather than transfer it. */
  retains(buffer: ArrayBufferLike): boolean {
    return this.session instanceof Session && this.session.retains(buffer);
  }

  profile(): OpTiming[] {
    return this.timings.map((t) => ({ ...t }));
  }

  /**
   * Runs the package's test_data.pkl inputs and checks the outputs as Neuropod's packager does: np.allclose
   * (rtol 1e-5, atol 1e-8 unless given), strings exactly. Resolves to a report (`pass`, `message`); a package
   * without test_data.pkl, or a bare model, is ARCHIVE_ENTRY_MISSING.
   */
  async selfTest(options: SelfTestOptions = {}): Promise<SelfTestReport> {
    const session = this.live();
    const { runSelfTest } = await import('../testing/self-test.js');
    return runSelfTest(session, { ...this.testData, inputs: this.inputs, outputs: this.outputs }, options);
  }

  async dispose(): Promise<void> {
    if (this.session instanceof Session) this.session.dispose();
    this.session = undefined;
    this.timings = [];
  }

  private live(): Session {
    if (!this.session) throw new NeuropodError('DISPOSED', `model '${this.name}' was disposed; load it again to run it`);
    if (!(this.session instanceof Session)) throw this.session;
    return this.session;
  }

  /** Neuropod: no request means every output; a name the model does not produce is an error. */
  private requested(outputs: readonly string[] | undefined, session: Session): readonly string[] {
    if (outputs !== undefined && !Array.isArray(outputs)) throw new NeuropodError('USAGE', `infer(): outputs must be an array of names`);
    if (!outputs || outputs.length === 0) return session.outputNames;
    for (const name of outputs) {
      if (!session.outputNames.includes(name)) throw runtimeError('OUTPUT_UNKNOWN', `Tried to request a tensor that does not exist: ${name}`);
    }
    return outputs;
  }
}

/** Without validation, names still must mean something: a spec input or a graph input. */
function rejectUnknownInputs(given: ReadonlyMap<string, unknown>, specs: readonly TensorSpec[], session: Session): void {
  const unknown = [...given.keys()].filter((n) => !session.takes(n) && !specs.some((s) => s.name === n));
  if (unknown.length) throw runtimeError('SPEC_UNKNOWN_NAME', `Tensor name(s) '[${unknown.join(', ')}]' are not found in the input spec`);
}
