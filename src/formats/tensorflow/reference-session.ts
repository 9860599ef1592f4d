import { referenceKernels } from '../../../kernels/index.js';
import { isTensor, type Value } from '../../graph/value.js';
import { GraphExecutor } from '../../runtime/executor.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { ImportedModel } from '../importer.js';

/**
 * For tests of importers: runs an imported model on the reference kernels and carries its state from one call to
 * the next as the runtime does (feed StateBinding.input, keep StateBinding.output).
 */
export class ReferenceSession {
  private readonly executor: GraphExecutor;
  private readonly state = new Map<string, Tensor>();

  constructor(private readonly imported: ImportedModel) {
    this.executor = new GraphExecutor(imported.model, referenceKernels);
    for (const s of imported.state ?? []) this.state.set(s.input, s.initial);
  }

  /** Graph ops without a reference kernel yet, for tests that wait on other kernel families. */
  missingKernels(): string[] {
    const ops = new Set(this.imported.model.graph.nodes.map((n) => n.opType));
    return [...ops].filter((op) => !referenceKernels.find('', op, 20));
  }

  run(feeds: Record<string, Value>, outputs?: string[]): Record<string, Tensor> {
    const bindings = this.imported.state ?? [];
    const wanted = outputs ?? this.imported.model.graph.outputs.map((o) => o.name).filter((n) => !bindings.some((b) => b.output === n));
    const all = new Map<string, Value>([...Object.entries(feeds), ...this.state]);
    const values = this.executor.run(all, [...wanted, ...bindings.map((b) => b.output)]);
    for (const b of bindings) this.state.set(b.input, values.get(b.output) as Tensor);
    const result: Record<string, Tensor> = {};
    for (const name of wanted) {
      const v = values.get(name);
      if (!isTensor(v)) throw new Error(`output ${name} is not a tensor`);
      result[name] = v;
    }
    return result;
  }
}
