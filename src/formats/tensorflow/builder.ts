import { NeuropodError } from '../../api/errors.js';
import type { AttributeValue, Graph, Node, ValueInfo } from '../../graph/ir.js';
import { DTYPES, type DType } from '../../tensor/dtype.js';
import { Tensor } from '../../tensor/tensor.js';
import { attributes, TfAttrs } from './attr.js';
import type { TableContents } from './ops-table.js';
import type { AttrValueMsg } from './schema.js';

/** A TF node with its inputs split: data inputs as "node:index", control inputs ("^node") as node names. */
export interface TfNode {
  name: string;
  op: string;
  inputs: string[];
  controls: string[];
  attr: Record<string, AttrValueMsg>;
  /** A TF1 while loop or cond collapsed into one node by the frame analysis (control-flow.ts). */
  region?: unknown;
  /** A library function's node inlined: its name in the function (TF.js keeps such Const values by that name). */
  source?: string;
}

/** "node" and "node:0" name one tensor; "^node" is a control edge. */
export function tensorName(ref: string): string {
  return /:\d+$/.test(ref) ? ref : `${ref}:0`;
}

export function producerOf(tensor: string): string {
  return tensor.replace(/:\d+$/, '');
}

/** A node's dependencies: the producers of its inputs, then its control inputs. */
export function edgesOf(node: TfNode): string[] {
  return [...node.inputs.map(producerOf), ...node.controls];
}

/**
 * The nodes of `byName` that the `roots` (node names; absent ones are passed over) need, dependencies first, by an
 * iterative depth-first walk over `edges` (default `edgesOf`; a fed node may return none). A dependency `byName`
 * lacks goes to `missing`, which throws or returns to pass it over (the default); reaching a node still on the walk
 * is a cycle, and `cycle` makes the error to throw.
 */
export function dependencyOrder(
  byName: ReadonlyMap<string, TfNode>,
  roots: Iterable<string>,
  how: { cycle: (name: string) => Error; missing?: (from: TfNode, name: string) => void; edges?: (node: TfNode) => string[] },
): TfNode[] {
  const edges = how.edges ?? edgesOf;
  const order: TfNode[] = [];
  const state = new Map<string, 'open' | 'done'>();
  for (const root of roots) {
    const start = byName.get(root);
    if (!start || state.has(root)) continue;
    const stack: [TfNode, number][] = [[start, 0]];
    state.set(root, 'open');
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const deps = edges(top[0]);
      if (top[1] < deps.length) {
        const name = deps[top[1]++]!;
        const dep = byName.get(name);
        if (!dep) {
          how.missing?.(top[0], name);
          continue;
        }
        const s = state.get(name);
        if (s === 'open') throw how.cycle(name);
        if (!s) {
          state.set(name, 'open');
          stack.push([dep, 0]);
        }
      } else {
        stack.pop();
        state.set(top[0].name, 'done');
        order.push(top[0]);
      }
    }
  }
  return order;
}

export function toTfNode(def: { name: string; op: string; input: string[]; attr: Record<string, AttrValueMsg> }): TfNode {
  const inputs: string[] = [];
  const controls: string[] = [];
  for (const ref of def.input) {
    if (ref.startsWith('^')) controls.push(ref.slice(1));
    else inputs.push(tensorName(ref));
  }
  return { name: def.name, op: def.op, inputs, controls, attr: def.attr ?? {} };
}

/** A variable's value flowing through the lowered graph: read as `current`, replaced by assignments. */
export interface VariableFlow {
  name: string;
  dtype: DType;
  /** The graph input that carries the value at the start of a run. */
  input: string;
  current: string;
  mutated: boolean;
}

const HANDLE = 'handle:';

/**
 * Collects IR nodes, constants and graph inputs while TF nodes are lowered one by one in dependency order.
 * TF tensor names ("node:0") map to IR value names; most map to themselves, aliases (Identity) to another.
 *
 * A child builder lowers the nodes of one subgraph (a Loop body, an If branch): TF outputs lowered there get the
 * child's `scope` as a prefix (the same TF node may be lowered in several scopes), a tensor it did not lower
 * resolves in its parent (an outer-scope value of the subgraph), and constants, variables and names are the
 * root's. A child may share its parent's node list (a second lowering of the same nodes in the same graph).
 */
export class GraphBuilder {
  readonly nodes: Node[];
  readonly initializers: Map<string, Tensor>;
  readonly inputs: ValueInfo[] = [];
  readonly variables: Map<string, VariableFlow>;
  /** TF.js keeps Const values in its weights manifest, by node name. */
  readonly weights: Map<string, Tensor>;
  /** Placeholders a spec input feeds: TF tensor name -> the spec's name. */
  readonly feeds: Map<string, string>;
  /** Element dtypes of the sequences TensorList ops make, by IR value (a Loop carrying one types its body input). */
  readonly sequenceTypes: Map<string, DType>;
  /** Flows of TensorArrays no op has written yet (a scatter into one needs no stack of placeholders). */
  readonly freshArrays: Set<string>;
  /** Const nodes already made initializers, by node name (a node lowered in several scopes is one constant). */
  readonly constants: Map<string, string>;
  private readonly aliases = new Map<string, string>();
  private readonly lowered = new Set<string>();
  private readonly refVariables: Set<string>;
  private readonly counter: { next: number };
  /** What the init ops put in each hash table, by table node name. */
  tableContents: (table: string) => TableContents | undefined;
  /** How each TF node is lowered (the op table and the caller's extra ops), for regions lowered later. */
  lowerer: (node: TfNode) => (n: NodeLowering) => void;

  constructor(
    readonly source: string,
    readonly parent?: GraphBuilder,
    readonly scope = '',
    nodes?: Node[],
  ) {
    this.nodes = nodes ?? [];
    this.initializers = parent?.initializers ?? new Map();
    this.variables = parent?.variables ?? new Map();
    this.weights = parent?.weights ?? new Map();
    this.feeds = parent?.feeds ?? new Map();
    this.constants = parent?.constants ?? new Map();
    this.sequenceTypes = parent?.sequenceTypes ?? new Map();
    this.freshArrays = parent?.freshArrays ?? new Set();
    this.refVariables = parent?.refVariables ?? new Set();
    this.counter = parent?.counter ?? { next: 0 };
    this.tableContents = parent?.tableContents ?? (() => undefined);
    this.lowerer = parent?.lowerer ?? ((node) => {
      throw new NeuropodError('OP_UNSUPPORTED', `${source}: no lowering is set up for node '${node.name}'`);
    });
  }

  /** A builder for a subgraph under this one; `shareNodes` emits into this builder's node list. */
  child(scope: string, shareNodes = false): GraphBuilder {
    return new GraphBuilder(this.source, this, scope, shareNodes ? this.nodes : undefined);
  }

  /** The IR name of TF tensor `tensor` when a node lowered in this builder writes it. */
  scoped(tensor: string): string {
    return this.scope + tensor;
  }

  /** Marks a TF node as lowered here: its outputs resolve to this scope's names. */
  lowering(node: string): void {
    this.lowered.add(node);
  }

  /** The IR value a TF tensor name refers to now (a ref variable reads its current value). */
  valueOf(tensor: string): string {
    const own = this.aliases.get(tensor);
    if (own === undefined && this.parent && !this.lowered.has(producerOf(tensor))) return this.parent.valueOf(tensor);
    const v = own ?? this.scoped(tensor);
    if (v.startsWith(HANDLE)) {
      const flow = this.variables.get(v.slice(HANDLE.length));
      if (flow && this.refVariables.has(flow.name)) return flow.current;
    }
    return v;
  }

  alias(tensor: string, value: string): void {
    if (tensor !== value) this.aliases.set(tensor, value);
  }

  /** Gives an IR value another name everywhere it is written or read. */
  rename(from: string, to: string): void {
    const swap = (v: string) => (v === from ? to : v);
    for (const node of this.nodes) {
      node.inputs = node.inputs.map(swap);
      node.outputs = node.outputs.map(swap);
    }
    for (const [k, v] of this.aliases) if (v === from) this.aliases.set(k, to);
    if (!this.aliases.has(from)) this.aliases.set(from, to);
    for (const flow of this.variables.values()) flow.current = swap(flow.current);
  }

  constant(value: string): Tensor | undefined {
    return this.initializers.get(value);
  }

  addConstant(tensor: Tensor, hint: string): string {
    const name = this.fresh(hint);
    this.initializers.set(name, tensor);
    return name;
  }

  fresh(hint: string): string {
    return `${hint}__${this.counter.next++}`;
  }

  addNode(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttributeValue>, name: string, domain = ''): void {
    this.nodes.push({ name: this.scope + name, opType, domain, inputs, outputs, attributes: attributes(attrs) });
  }

  addInput(name: string, dtype: DType, shape: (number | string | null)[] | undefined): void {
    this.inputs.push({ name, type: { kind: 'tensor', dtype, shape } });
  }

  /** A variable node: its output is a handle (resource variables) or a ref that reads as the value (TF1). */
  declareVariable(node: string, dtype: DType, shape: number[] | undefined, ref: boolean): string {
    if (this.parent) throw new NeuropodError('OP_UNSUPPORTED', `${this.source}: variable '${node}' is created inside a loop or cond, which this engine does not lower`);
    const input = `state:${node}`;
    this.variables.set(node, { name: node, dtype, input, current: input, mutated: false });
    if (ref) this.refVariables.add(node);
    this.addInput(input, dtype, shape);
    return HANDLE + node;
  }

  variableOf(tensor: string, where: string): VariableFlow {
    const v = this.valueOfHandle(tensor);
    const flow = v.startsWith(HANDLE) ? this.variables.get(v.slice(HANDLE.length)) : undefined;
    if (!flow) throw new NeuropodError('MODEL_INVALID', `${where}: input '${tensor}' is not a variable`);
    return flow;
  }

  /** A tensor's value without reading a ref variable through it (the handle itself). */
  private valueOfHandle(tensor: string): string {
    const own = this.aliases.get(tensor);
    if (own === undefined && this.parent && !this.lowered.has(producerOf(tensor))) return this.parent.valueOfHandle(tensor);
    return own ?? this.scoped(tensor);
  }

  graph(name: string, outputs: ValueInfo[]): Graph {
    return { name, nodes: this.nodes, inputs: this.inputs, outputs, initializers: this.parent ? new Map() : this.initializers };
  }
}

/** What one lowering function sees: its TF node, typed attributes, and ways to emit IR. */
export class NodeLowering {
  readonly attrs: TfAttrs;
  private emitted = 0;

  constructor(
    readonly builder: GraphBuilder,
    readonly node: TfNode,
  ) {
    this.attrs = new TfAttrs(node.attr, `${node.op} node '${node.name}'`);
    builder.lowering(node.name);
  }

  get where(): string {
    return `${this.node.op} node '${this.node.name}'`;
  }

  get inputCount(): number {
    return this.node.inputs.length;
  }

  input(i: number): string {
    const ref = this.node.inputs[i];
    if (ref === undefined) throw new NeuropodError('MODEL_INVALID', `${this.where} has no input ${i}`);
    return this.builder.valueOf(ref);
  }

  inputs(from = 0, to = this.node.inputs.length): string[] {
    const out: string[] = [];
    for (let i = from; i < to; i++) out.push(this.input(i));
    return out;
  }

  constant(i: number): Tensor | undefined {
    return this.builder.constant(this.input(i));
  }

  /** The constant value of an input an attribute-like argument must come from (axes, perm, sizes). */
  requireConstant(i: number, what: string): Tensor {
    const c = this.constant(i);
    if (!c) throw new NeuropodError('OP_UNSUPPORTED', `${this.where}: its ${what} (input ${i}) must be a constant for this engine, and is computed at run time`);
    return c;
  }

  ints(i: number, what: string): number[] {
    return Array.from(this.requireConstant(i, what).numeric as ArrayLike<number | bigint>, Number);
  }

  /** TF's name of output i of this node. */
  tfOutput(i = 0): string {
    return `${this.node.name}:${i}`;
  }

  /** The IR name output i of this node has when a lowering writes it (TF's name, scoped in a subgraph). */
  output(i = 0): string {
    return this.builder.scoped(this.tfOutput(i));
  }

  /** Makes TF output i an alias of an IR value already there. */
  produce(i: number, value: string): void {
    this.builder.alias(this.tfOutput(i), value);
  }

  /** Adds an IR node; outputs default to one fresh name. Returns the output names. */
  emit(op: string, inputs: string[], attrs: Record<string, AttributeValue> = {}, outputs: number | string[] = 1, domain = ''): string[] {
    const names = typeof outputs === 'number' ? Array.from({ length: outputs }, () => this.builder.fresh(`${this.node.name}/${op}`)) : outputs;
    const nodeName = this.emitted++ === 0 ? this.node.name : `${this.node.name}/${op}_${this.emitted}`;
    this.builder.addNode(op, inputs, names, attrs, nodeName, domain);
    return names;
  }

  /** emit() for the common one-output case. */
  op(op: string, inputs: string[], attrs: Record<string, AttributeValue> = {}): string {
    return this.emit(op, inputs, attrs)[0]!;
  }

  scalar(value: number | bigint | string | boolean, dtype: DType): string {
    const data = dtype === 'string' ? [String(value)] : new (DTYPES[dtype].array!)(1);
    if (dtype !== 'string') (data as unknown as (number | bigint)[])[0] = DTYPES[dtype].big ? BigInt(value as number) : Number(value);
    return this.builder.addConstant(new Tensor(dtype, [], data), `${this.node.name}/const`);
  }

  int64s(values: readonly number[], shape: number[] = [values.length]): string {
    return this.builder.addConstant(new Tensor('int64', shape, BigInt64Array.from(values.map((v) => BigInt(v)))), `${this.node.name}/const`);
  }

  /** Input i as int64 (what ONNX wants for shapes, axes and indices): folded when constant, else a Cast. */
  int64Input(i: number): string {
    const c = this.constant(i);
    if (c?.dtype === 'int64') return this.input(i);
    if (c) return this.int64s(Array.from(c.numeric as ArrayLike<number>, Number), [...c.shape]);
    return this.op('Cast', [this.input(i)], { to: { type: 'int', value: DTYPES.int64.onnx } });
  }
}
