import type { AttributeValue, Graph, Node, ValueInfo } from '../../graph/ir.js';
import { DTYPES, type DType } from '../../tensor/dtype.js';
import { Tensor, tensor } from '../../tensor/tensor.js';

/** A value the graph computes at run time, with what lowering knows of it. */
export class Sym {
  constructor(
    readonly name: string,
    readonly dtype: DType,
    /** Undefined when the rank is not known at load. */
    readonly rank: number | undefined,
    /** Set on a 0-d int64 that is the length of a list value (a 1-D tensor), so a `range()` over it can be vectorized. */
    readonly lengthOf?: Sym,
    /** One element of a list per lane: the vector of all of them, while a loop over the list is vectorized. */
    readonly lane = false,
  ) {}
}

type AttributeInput = number | bigint | string | number[] | string[] | boolean | Tensor | AttributeValue;

/** Appends ONNX nodes and initializers, naming values uniquely. */
export class GraphBuilder {
  /** Where nodes go now: the main graph's list, or a subgraph's while an If branch or Loop body is lowered. */
  nodes: Node[] = [];
  readonly initializers = new Map<string, Tensor>();
  private readonly constantNames = new WeakMap<Tensor, string>();
  private counter = 0;

  fresh(hint: string): string {
    return `${hint}_${this.counter++}`;
  }

  /** Runs `fn` with new nodes going to `into` (a subgraph's node list), then back to where they went before. */
  capture<T>(into: Node[], fn: () => T): T {
    const saved = this.nodes;
    this.nodes = into;
    try {
      return fn();
    } finally {
      this.nodes = saved;
    }
  }

  /** Adds a node and returns its output names (fresh ones for a count, or the names given). */
  node(opType: string, inputs: (Sym | string | undefined)[], outputs: number | string[], attributes: Record<string, AttributeInput | undefined> = {}, domain = ''): string[] {
    const names = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.fresh(opType)) : outputs;
    const attrs = new Map<string, AttributeValue>();
    for (const [key, value] of Object.entries(attributes)) if (value !== undefined) attrs.set(key, attributeOf(value));
    this.nodes.push({
      name: this.fresh(`n_${opType}`),
      opType,
      domain,
      inputs: inputs.map((i) => (i === undefined ? '' : typeof i === 'string' ? i : i.name)),
      outputs: names,
      attributes: attrs,
    });
    return names;
  }

  /** A node with one output, as a Sym. */
  op(opType: string, inputs: (Sym | string | undefined)[], dtype: DType, rank: number | undefined, attributes: Record<string, AttributeInput | undefined> = {}, domain = ''): Sym {
    return new Sym(this.node(opType, inputs, 1, attributes, domain)[0]!, dtype, rank);
  }

  /** An initializer holding `tensor`; one per tensor object. */
  constant(tensor: Tensor, hint = 'const'): Sym {
    let name = this.constantNames.get(tensor);
    if (!name) {
      name = this.initializers.has(hint) ? this.fresh(hint) : hint;
      this.constantNames.set(tensor, name);
      this.initializers.set(name, tensor);
    }
    return new Sym(name, tensor.dtype, tensor.rank);
  }

  int64s(values: readonly (number | bigint)[]): Sym {
    return this.constant(new Tensor('int64', [values.length], BigInt64Array.from(values, (v) => BigInt(v))), 'ints');
  }

  scalar(value: number | bigint | boolean | string, dtype: DType): Sym {
    const element = dtype === 'string' ? String(value) : DTYPES[dtype].big ? BigInt(value) : Number(value);
    return this.constant(tensor([element], [], dtype), 'scalar');
  }

  graph(name: string, inputs: ValueInfo[], outputs: ValueInfo[]): Graph {
    return { name, nodes: this.nodes, inputs, outputs, initializers: this.initializers };
  }
}

function attributeOf(value: AttributeInput): AttributeValue {
  if (typeof value === 'object' && value !== null && 'type' in value && !(value instanceof Tensor) && !Array.isArray(value)) return value;
  if (value instanceof Tensor) return { type: 'tensor', value };
  if (typeof value === 'string') return { type: 'string', value };
  if (typeof value === 'bigint' || typeof value === 'boolean') return { type: 'int', value: Number(value) };
  if (typeof value === 'number') return Number.isInteger(value) ? { type: 'int', value } : { type: 'float', value };
  if (value.length > 0 && typeof value[0] === 'string') return { type: 'strings', value: value as string[] };
  return { type: 'ints', value: value as number[] };
}

/** A float attribute even when the value happens to be whole (epsilon=1, alpha=0). */
export function floatAttr(value: number): AttributeValue {
  return { type: 'float', value };
}
