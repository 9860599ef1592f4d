/**
 * If, Loop and Scan (ONNX Operators.md): each runs a graph attribute through `ctx.runSubgraph`, which sees the
 * enclosing graph's values by name.
 */
import { NeuropodError } from '../src/api/errors.js';
import type { Graph, ValueInfo } from '../src/graph/ir.js';
import { isTensor, type Value } from '../src/graph/value.js';
import { allocate } from '../src/tensor/dtype.js';
import { Tensor, sizeOf } from '../src/tensor/tensor.js';
import { copyElements, stackAlongAxis, takeAlongAxis } from './axis-stack.js';
import { optionalTensor, tensorInput } from './elements.js';
import type { KernelContext, KernelDef, ShapeFn, ShapeInfo } from './registry.js';
import { mergeInfos, sameInfo, withShapes } from './shape-rules.js';

function truth(t: Tensor): boolean {
  if (t.size < 1) throw new NeuropodError('INFERENCE_FAILED', `a condition tensor is empty`);
  return Number(t.numeric[0]) !== 0;
}

const boolScalar = (v: boolean): Tensor => new Tensor('bool', [], Uint8Array.of(v ? 1 : 0));
const int64Scalar = (v: number): Tensor => new Tensor('int64', [], BigInt64Array.of(BigInt(v)));

function asTensor(v: Value | undefined, what: string): Tensor {
  if (!isTensor(v)) throw new NeuropodError('INFERENCE_FAILED', `${what} is not a tensor`);
  return v;
}

/** Stacks one scan output's per-iteration values; with none, an empty tensor of the body output's declared type. */
function stackScanOutput(parts: Value[], info: ValueInfo | undefined, axis = 0): Tensor {
  const tensors = parts.map((p) => asTensor(p, `scan output '${info?.name ?? ''}'`));
  const type = info?.type;
  const shape = (type?.shape ?? []).map((d) => (typeof d === 'number' ? d : 0));
  return stackAlongAxis(tensors, axis, { dtype: type?.dtype ?? 'float32', shape });
}

function graphAttr(ctx: KernelContext, name: string): Graph {
  return ctx.attrs.require(name, 'graph');
}

const ifKernel: KernelDef = {
  op: 'If',
  run(inputs, ctx) {
    const branch = truth(tensorInput(inputs, 0, 'If')) ? 'then_branch' : 'else_branch';
    return ctx.runSubgraph(graphAttr(ctx, branch), []);
  },
};

/**
 * Loop: body(iteration_num, cond, carried...) -> (cond, carried..., scan...). M and cond may each be omitted
 * (opset 11 doc: "input ("", ""): for (int i=0; ; ++i)"); scan outputs are stacked along a new first axis.
 */
const loopKernel: KernelDef = {
  op: 'Loop',
  run(inputs, ctx) {
    const body = graphAttr(ctx, 'body');
    const mTensor = optionalTensor(inputs, 0);
    const condTensor = optionalTensor(inputs, 1);
    const maxTrips = mTensor ? Number(mTensor.numeric[0]) : Infinity;
    let cond = condTensor ? truth(condTensor) : true;
    let carried = inputs.slice(2);
    const nCarried = carried.length;
    const scans: Value[][] = body.outputs.slice(1 + nCarried).map(() => []);
    for (let i = 0; i < maxTrips && cond; i++) {
      const outs = ctx.runSubgraph(body, [int64Scalar(i), boolScalar(cond), ...carried]);
      cond = truth(asTensor(outs[0], 'the Loop body condition'));
      carried = outs.slice(1, 1 + nCarried);
      scans.forEach((list, k) => list.push(outs[1 + nCarried + k]!));
    }
    return [...carried, ...scans.map((parts, k) => stackScanOutput(parts, body.outputs[1 + nCarried + k]))];
  },
};

interface ScanSetup {
  body: Graph;
  states: Value[];
  scanInputs: Tensor[];
  inputAxes: number[];
  inputReverse: boolean[];
  outputAxes: number[];
  outputReverse: boolean[];
}

const axisOf = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

/** The opset 9+ Scan loop over one set of inputs: states threaded through, scan outputs stacked. */
function scanOnce(s: ScanSetup, ctx: KernelContext, steps?: number): Value[] {
  const lengths = s.scanInputs.map((t, j) => t.shape[s.inputAxes[j]!]!);
  const length = steps ?? lengths[0] ?? 0;
  if (lengths.some((n) => n !== lengths[0])) throw new NeuropodError('INFERENCE_FAILED', `Scan inputs have different sequence lengths ${lengths.join(', ')}`);
  let states = s.states;
  const nOut = s.body.outputs.length - states.length;
  const scans: Tensor[][] = Array.from({ length: nOut }, () => []);
  for (let t = 0; t < length; t++) {
    const slices = s.scanInputs.map((x, j) => takeAlongAxis(x, s.inputAxes[j]!, s.inputReverse[j] ? length - 1 - t : t));
    const outs = ctx.runSubgraph(s.body, [...states, ...slices]);
    states = outs.slice(0, states.length);
    scans.forEach((list, k) => list.push(asTensor(outs[states.length + k], 'a Scan output')));
  }
  const outputs = scans.map((parts, k) => {
    const ordered = s.outputReverse[k] ? [...parts].reverse() : parts;
    const info = s.body.outputs[states.length + k];
    const rank = (parts[0]?.rank ?? info?.type?.shape?.length ?? 0) + 1;
    return stackScanOutput(ordered, info, axisOf(s.outputAxes[k]!, rank));
  });
  return [...states, ...outputs];
}

/** Scan opset 9+: scan_input_axes/directions and scan_output_axes/directions, no batch axis. */
const scan9: KernelDef = {
  op: 'Scan',
  since: 9,
  run(inputs, ctx) {
    const body = graphAttr(ctx, 'body');
    const m = ctx.attrs.require('num_scan_inputs', 'int');
    const n = inputs.length - m;
    const scanInputs = inputs.slice(n).map((v) => asTensor(v, 'a Scan input'));
    const nOut = body.outputs.length - n;
    const inAxes = ctx.attrs.ints('scan_input_axes', new Array<number>(m).fill(0));
    return scanOnce({
      body,
      states: inputs.slice(0, n).map((v) => v!),
      scanInputs,
      inputAxes: inAxes.map((a, j) => axisOf(a, scanInputs[j]!.rank)),
      inputReverse: ctx.attrs.ints('scan_input_directions', new Array<number>(m).fill(0)).map(Boolean),
      outputAxes: ctx.attrs.ints('scan_output_axes', new Array<number>(nOut).fill(0)),
      outputReverse: ctx.attrs.ints('scan_output_directions', new Array<number>(nOut).fill(0)).map(Boolean),
    }, ctx);
  },
};

/**
 * Scan opset 8: every input has a leading batch axis, scan inputs are [batch, sequence, ...], and the optional
 * first input sequence_lens stops each batch early (its outputs past that length stay zero).
 */
const scan8: KernelDef = {
  op: 'Scan',
  since: 8,
  run(inputs, ctx) {
    const body = graphAttr(ctx, 'body');
    const m = ctx.attrs.require('num_scan_inputs', 'int');
    const seqLens = optionalTensor(inputs, 0);
    const rest = inputs.slice(1).map((v) => asTensor(v, 'a Scan input'));
    const n = rest.length - m;
    const nOut = body.outputs.length - n;
    const batch = rest[0]!.shape[0]!;
    const directions = ctx.attrs.ints('directions', new Array<number>(m).fill(0)).map(Boolean);
    const perBatch: Value[][] = [];
    for (let b = 0; b < batch; b++) {
      const slices = rest.map((t) => takeAlongAxis(t, 0, b));
      const full = slices[n]?.shape[0] ?? 0;
      const steps = seqLens ? Number(seqLens.numeric[b]) : full;
      const outs = scanOnce({
        body, states: slices.slice(0, n), scanInputs: slices.slice(n), inputAxes: new Array<number>(m).fill(0),
        inputReverse: directions, outputAxes: new Array<number>(nOut).fill(0), outputReverse: new Array<boolean>(nOut).fill(false),
      }, ctx, steps);
      perBatch.push(steps < full ? outs.map((v, k) => (k < n ? v : padFirstAxis(v as Tensor, full))) : outs);
    }
    return perBatch[0]!.map((_, k) => stackAlongAxis(perBatch.map((outs) => outs[k] as Tensor), 0));
  },
};

/** Zero rows appended along axis 0 up to `length` (Scan 8 outputs past a batch's sequence_lens): a zeroed tail. */
function padFirstAxis(t: Tensor, length: number): Tensor {
  const out = allocate(t.dtype, sizeOf(t.shape.slice(1)) * length);
  copyElements(t.data, 0, out, 0, t.size);
  return new Tensor(t.dtype, [length, ...t.shape.slice(1)], out);
}

/** If: the taken branch's outputs when the condition is a constant, else what both branches agree on. */
const ifShape: ShapeFn = (_inputs, ctx) => {
  const cond = ctx.constant(0);
  const run = (name: string) => ctx.inferSubgraph(ctx.attrs.require(name, 'graph'), []);
  if (cond) return run(truth(cond) ? 'then_branch' : 'else_branch');
  const [a, b] = [run('then_branch'), run('else_branch')];
  return ctx.node.outputs.map((_, i) => mergeInfos(a[i], b[i]));
};

/** Rounds of a Loop/Scan body tried before the carried values' shapes are given up as unknown. */
const CARRIED_SHAPE_ROUNDS = 8;

/**
 * The carried values hold whatever shape every iteration (and zero iterations) leaves: the fixed point of merging
 * the body's outputs (carried ones from `offset`) into its carried inputs. Undefined when none is found.
 */
function carriedFixedPoint(body: (carried: (ShapeInfo | undefined)[]) => (ShapeInfo | undefined)[], initial: (ShapeInfo | undefined)[], offset: number) {
  let carried = initial;
  for (let round = 0; round < CARRIED_SHAPE_ROUNDS; round++) {
    const outs = body(carried);
    const next = carried.map((c, i) => mergeInfos(c, outs[offset + i]));
    if (next.every((x, i) => sameInfo(x, carried[i]))) return { carried: next, outs };
    carried = next;
  }
  return undefined;
}

/** Loop: carried values at their fixed point; scan outputs stack an unknown count of the body's. */
const loopShape: ShapeFn = (inputs, ctx) => {
  const body = ctx.attrs.require('body', 'graph');
  const n = inputs.length - 2, nScans = body.outputs.length - 1 - n;
  const found = carriedFixedPoint((c) => ctx.inferSubgraph(body, [{ dtype: 'int64', dims: [] }, { dtype: 'bool', dims: [] }, ...c]), inputs.slice(2), 1);
  if (!found) return [...inputs.slice(2).map((c) => ({ dtype: c?.dtype })), ...new Array<ShapeInfo>(nScans).fill({})];
  const scans = found.outs.slice(1 + n).map((s) => ({ dtype: s?.dtype, dims: s?.dims ? [null, ...s.dims] : undefined }));
  return [...found.carried, ...scans];
};

/** Scan (opset 9): the body sees one slice of each scan input; each scan output gains the sequence length at its axis. */
const scanShape: ShapeFn = (inputs, ctx) => {
  const body = ctx.attrs.require('body', 'graph');
  if (ctx.opset < 9) return body.outputs.map(() => ({}));
  const m = ctx.attrs.require('num_scan_inputs', 'int'), n = inputs.length - m, k = body.outputs.length - n;
  const inAxes = ctx.attrs.ints('scan_input_axes', new Array<number>(m).fill(0)), outAxes = ctx.attrs.ints('scan_output_axes', new Array<number>(k).fill(0));
  const scanned = inputs.slice(n).map((x, i) => {
    if (!x?.dims) return { info: { dtype: x?.dtype }, len: null };
    const a = inAxes[i]! < 0 ? inAxes[i]! + x.dims.length : inAxes[i]!;
    return { info: { dtype: x.dtype, dims: x.dims.filter((_, d) => d !== a) }, len: x.dims[a] ?? null };
  });
  const len = scanned.map((s) => s.len).find((d) => d !== null) ?? null;
  const found = carriedFixedPoint((c) => ctx.inferSubgraph(body, [...c, ...scanned.map((s) => s.info)]), inputs.slice(0, n), 0);
  if (!found) return [...inputs.slice(0, n).map((c) => ({ dtype: c?.dtype })), ...new Array<ShapeInfo>(k).fill({})];
  const outs = found.outs.slice(n).map((s, i) => {
    if (!s?.dims) return { dtype: s?.dtype };
    const a = outAxes[i]! < 0 ? outAxes[i]! + s.dims.length + 1 : outAxes[i]!;
    return { dtype: s.dtype, dims: [...s.dims.slice(0, a), len, ...s.dims.slice(a)] };
  });
  return [...found.carried, ...outs];
};

export const controlflowKernels: KernelDef[] = withShapes([ifKernel, loopKernel, scan8, scan9], { If: ifShape, Loop: loopShape, Scan: scanShape });
