import { NeuropodError } from '../../api/errors.js';

/**
 * Compute pipelines by WGSL source. `prepare` compiles asynchronously (at load, so the first run does not stall
 * on the compiler); `get` compiles synchronously only a source nobody announced.
 */
export class PipelineCache {
  private readonly ready = new Map<string, GPUComputePipeline>();
  private readonly pending = new Map<string, Promise<GPUComputePipeline>>();
  /** Milliseconds spent compiling at prepare time, for the bench's pipeline-creation figure. */
  compileMs = 0;

  constructor(private readonly device: GPUDevice) {}

  get size(): number {
    return this.ready.size;
  }

  async prepare(sources: Iterable<string>): Promise<void> {
    const started = performance.now();
    const jobs = [...new Set(sources)].filter((s) => !this.ready.has(s)).map((s) => this.compile(s));
    await Promise.all(jobs);
    this.compileMs += performance.now() - started;
  }

  private compile(code: string): Promise<GPUComputePipeline> {
    let job = this.pending.get(code);
    if (!job) {
      const module = this.device.createShaderModule({ code });
      job = this.device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } }).then(
        (p) => {
          this.ready.set(code, p);
          return p;
        },
        (e: unknown) => {
          throw new NeuropodError('INFERENCE_FAILED', `webgpu: a shader failed to compile: ${e instanceof Error ? e.message : String(e)}\n${code}`);
        },
      );
      this.pending.set(code, job);
    }
    return job;
  }

  get(code: string): GPUComputePipeline {
    let p = this.ready.get(code);
    if (!p) {
      const module = this.device.createShaderModule({ code });
      p = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
      this.ready.set(code, p);
    }
    return p;
  }
}
