import type { AttributeReader } from '../src/graph/attributes.js';
import type { Dim, Graph, Node } from '../src/graph/ir.js';
import type { Value } from '../src/graph/value.js';
import type { DType } from '../src/tensor/dtype.js';
import type { Tensor } from '../src/tensor/tensor.js';

/** What a reference kernel sees besides its inputs. */
export interface KernelContext {
  node: Node;
  attrs: AttributeReader;
  /** The version of the node's domain in force (ONNX opset import), so a kernel follows its op's semantics at that version. */
  opset: number;
  /** Runs a subgraph attribute (If/Loop/Scan bodies) on the given inputs, with this graph's values in scope. */
  runSubgraph(graph: Graph, inputs: (Value | undefined)[]): Value[];
}

/**
 * A reference (TypeScript) kernel: what one ONNX operator computes, on the CPU. Inputs come by position, with
 * `undefined` for omitted optional inputs; outputs go by position (`undefined` for an optional output not made).
 */
export interface KernelDef {
  op: string;
  /** '' is ai.onnx (the default). */
  domain?: string;
  /** Lowest opset version this definition implements; the highest `since` not above the model's opset wins. */
  since?: number;
  /** Where this implementation runs, for the profile: 'cpu' (the reference, the default), 'wasm', 'webgpu'. */
  backend?: string;
  run(inputs: (Value | undefined)[], ctx: KernelContext): (Value | undefined)[];
  /** Output dtypes and dims from the inputs' (src/graph/passes/infer-shapes.ts); without it the outputs are unknown. */
  shape?: ShapeFn;
}

/**
 * What planning knows of a tensor before it runs: its dtype, its dims (undefined when even the rank is unknown),
 * and for a small integer tensor its elements as dims, so Shape -> Gather -> Concat -> Reshape chains keep
 * symbols ('batch') through to the shape they build.
 */
export interface ShapeInfo {
  dtype?: DType;
  dims?: Dim[];
  elements?: Dim[];
}

/** What a shape function sees besides its inputs' shape infos. */
export interface ShapeContext {
  node: Node;
  attrs: AttributeReader;
  opset: number;
  /** Input `i` when it is known at planning time (an initializer, a Constant, a folded value). */
  constant(i: number): Tensor | undefined;
  /** Infers a subgraph attribute (If/Loop/Scan bodies) from its inputs' infos, this graph's values in scope. */
  inferSubgraph(graph: Graph, inputs: (ShapeInfo | undefined)[]): (ShapeInfo | undefined)[];
}

/** Output infos by position; undefined (or a missing dtype/dims) where it cannot be known. Never a guess. */
export type ShapeFn = (inputs: (ShapeInfo | undefined)[], ctx: ShapeContext) => (ShapeInfo | undefined)[];

const DOMAIN_ALIASES: Record<string, string> = { 'ai.onnx': '' };

export function canonicalDomain(domain: string | undefined): string {
  const d = domain ?? '';
  return DOMAIN_ALIASES[d] ?? d;
}

/** Kernels by domain and op, each list sorted by `since` descending. */
export class KernelTable {
  private readonly table = new Map<string, KernelDef[]>();

  constructor(families: readonly (readonly KernelDef[])[]) {
    for (const family of families) for (const k of family) this.add(k);
  }

  private key(domain: string | undefined, op: string): string {
    return `${canonicalDomain(domain)}::${op}`;
  }

  add(kernel: KernelDef): void {
    const key = this.key(kernel.domain, kernel.op);
    const list = this.table.get(key) ?? [];
    list.push(kernel);
    list.sort((a, b) => (b.since ?? 1) - (a.since ?? 1));
    this.table.set(key, list);
  }

  /** The kernel for `op` at `opset`, or undefined when none covers it. */
  find(domain: string, op: string, opset: number): KernelDef | undefined {
    return this.table.get(this.key(domain, op))?.find((k) => (k.since ?? 1) <= opset);
  }

  /** Every (domain, op) with a kernel: for README tables and `inspect`. */
  ops(): { domain: string; op: string; since: number[] }[] {
    return [...this.table.entries()].map(([key, list]) => {
      const [domain, op] = key.split('::') as [string, string];
      return { domain, op, since: list.map((k) => k.since ?? 1).sort((a, b) => a - b) };
    });
  }
}
