import { NeuropodError } from '../../api/errors.js';
import { DTYPES, type DType } from '../../tensor/dtype.js';
import { Tensor } from '../../tensor/tensor.js';
import { ir } from './attr.js';
import type { NodeLowering } from './builder.js';
import { ARRAY_OPS } from './ops-array.js';
import { CONTROL_OPS } from './ops-control.js';
import { LIST_OPS, TENSOR_ARRAY_OPS } from './ops-list.js';
import { NN_OPS } from './ops-nn.js';
import { STRING_OPS } from './ops-string.js';
import { TABLE_OPS } from './ops-table.js';
import { STATE_OPS } from './ops-state.js';

/** Lowers one TF node: emits IR nodes and says which IR value each TF output is. */
export type Lowering = (n: NodeLowering) => void;

/** A TF op that is one ONNX op on the same inputs, outputs and (no) attributes. */
export function same(onnxOp: string): Lowering {
  return (n) => {
    n.emit(onnxOp, n.inputs(), {}, [n.output(0)]);
  };
}

export function castTo(dtype: DType) {
  return { to: ir.int(DTYPES[dtype].onnx) };
}

/** Output 0 is input 0 (Identity and its kin are dropped). */
const passThrough: Lowering = (n) => n.produce(0, n.input(0));

/** Per-output pass-through for IdentityN. */
const passEach: Lowering = (n) => n.node.inputs.forEach((_, i) => n.produce(i, n.input(i)));

function unaryChain(...ops: string[]): Lowering {
  return (n) => {
    let v = n.input(0);
    ops.forEach((op, i) => {
      v = n.emit(op, [v], {}, i === ops.length - 1 ? [n.output(0)] : 1)[0]!;
    });
  };
}

const BINARY: Record<string, string> = {
  Add: 'Add', AddV2: 'Add', Sub: 'Sub', Mul: 'Mul', RealDiv: 'Div', Div: 'Div', Maximum: 'Max', Minimum: 'Min',
  Pow: 'Pow', Equal: 'Equal', Less: 'Less', LessEqual: 'LessOrEqual', Greater: 'Greater',
  GreaterEqual: 'GreaterOrEqual', LogicalAnd: 'And', LogicalOr: 'Or', BitwiseAnd: 'BitwiseAnd',
  BitwiseOr: 'BitwiseOr', BitwiseXor: 'BitwiseXor', SelectV2: 'Where', AddN: 'Sum',
  Einsum: 'Einsum', BroadcastTo: 'Expand',
};

const UNARY: Record<string, string> = {
  Abs: 'Abs', Neg: 'Neg', Exp: 'Exp', Log: 'Log', Sqrt: 'Sqrt', Reciprocal: 'Reciprocal', Inv: 'Reciprocal',
  Floor: 'Floor', Ceil: 'Ceil', Round: 'Round', Rint: 'Round', Sign: 'Sign', Sin: 'Sin', Cos: 'Cos', Tan: 'Tan',
  Asin: 'Asin', Acos: 'Acos', Atan: 'Atan', Sinh: 'Sinh', Cosh: 'Cosh', Tanh: 'Tanh', Asinh: 'Asinh',
  Acosh: 'Acosh', Atanh: 'Atanh', Erf: 'Erf', Sigmoid: 'Sigmoid', Relu: 'Relu', Elu: 'Elu', Selu: 'Selu',
  Softplus: 'Softplus', Softsign: 'Softsign', LogicalNot: 'Not', IsNan: 'IsNaN', IsInf: 'IsInf',
  Softmax: 'Softmax', LogSoftmax: 'LogSoftmax', Prelu: 'PRelu', Invert: 'BitwiseNot',
};

const ALIASES = ['Identity', 'StopGradient', 'Snapshot', 'PreventGradient', 'CheckNumerics', 'EnsureShape'];

function table(): Record<string, Lowering> {
  const rows: Record<string, Lowering> = {};
  for (const [tf, onnx] of Object.entries({ ...BINARY, ...UNARY })) rows[tf] = same(onnx);
  for (const tf of ALIASES) rows[tf] = passThrough;
  return rows;
}

export const OPS: Record<string, Lowering> = {
  ...table(),
  IdentityN: passEach,
  NoOp: () => {},
  Assert: () => {},
  NotEqual: unaryOf('Equal', 'Not'),
  Rsqrt: unaryChain('Sqrt', 'Reciprocal'),
  Log1p: (n) => n.emit('Log', [n.op('Add', [n.input(0), n.scalar(1, n.attrs.dtype('T', 'float32'))])], {}, [n.output(0)]),
  Expm1: (n) => n.emit('Sub', [n.op('Exp', [n.input(0)]), n.scalar(1, n.attrs.dtype('T', 'float32'))], {}, [n.output(0)]),
  Square: (n) => n.emit('Mul', [n.input(0), n.input(0)], {}, [n.output(0)]),
  SquaredDifference: (n) => {
    const d = n.op('Sub', [n.input(0), n.input(1)]);
    n.emit('Mul', [d, d], {}, [n.output(0)]);
  },
  Relu6: (n) => n.emit('Clip', [n.input(0), n.scalar(0, n.attrs.dtype('T', 'float32')), n.scalar(6, n.attrs.dtype('T', 'float32'))], {}, [n.output(0)]),
  LeakyRelu: (n) => n.emit('LeakyRelu', [n.input(0)], { alpha: ir.float(n.attrs.float('alpha', 0.2)) }, [n.output(0)]),
  ClipByValue: same('Clip'),
  FloorDiv: floorDiv,
  FloorMod: floorMod,
  Cast: (n) => n.emit('Cast', [n.input(0)], castTo(n.attrs.dtype('DstT')), [n.output(0)]),
  ZerosLike: filledLike(0),
  OnesLike: filledLike(1),
  MatMul: (n) => n.emit('Gemm', n.inputs(0, 2), transposes(n), [n.output(0)]),
  BatchMatMul: batchMatMul,
  BatchMatMulV2: batchMatMul,
  BatchMatMulV3: batchMatMul,
  StringJoin: stringJoin,
  Select: select,
  ...ARRAY_OPS,
  ...NN_OPS,
  ...STATE_OPS,
  ...CONTROL_OPS,
  ...LIST_OPS,
  ...TENSOR_ARRAY_OPS,
  ...TABLE_OPS,
  ...STRING_OPS,
};

/**
 * TF1 Select with a vector condition picks whole rows of higher-rank operands; broadcasting needs the condition
 * reshaped to [n, 1, ...], padded with as many 1s as the operands have extra dims (none when ranks match).
 */
function select(n: NodeLowering): void {
  const [cond, a, b] = n.inputs(0, 3) as [string, string, string];
  const condShape = n.op('Shape', [cond]);
  const extra = n.op('Sub', [n.op('Size', [n.op('Shape', [a])]), n.op('Size', [condShape])]);
  const ones = n.op('ConstantOfShape', [n.op('Reshape', [extra, n.int64s([1])])], { value: ir.tensor(new Tensor('int64', [1], new BigInt64Array([1n]))) });
  const shaped = n.op('Reshape', [cond, n.op('Concat', [condShape, ones], { axis: ir.int(0) })]);
  n.emit('Where', [shaped, a, b], {}, [n.output(0)]);
}

function filledLike(value: number): Lowering {
  return (n) => n.emit('Expand', [n.scalar(value, n.attrs.dtype('T', 'float32')), n.op('Shape', [n.input(0)])], {}, [n.output(0)]);
}

function unaryOf(...ops: [string, string]): Lowering {
  return (n) => n.emit(ops[1], [n.op(ops[0], n.inputs())], {}, [n.output(0)]);
}

function transposes(n: NodeLowering) {
  return { transA: ir.int(n.attrs.bool('transpose_a') ? 1 : 0), transB: ir.int(n.attrs.bool('transpose_b') ? 1 : 0) };
}

/** adj_x/adj_y swap the last two dims whatever the rank: an Einsum with an ellipsis says so without knowing it. */
function batchMatMul(n: NodeLowering): void {
  const swapLast = (v: string, adjoint: boolean) => (adjoint ? n.op('Einsum', [v], { equation: ir.string('...ij->...ji') }) : v);
  const a = swapLast(n.input(0), n.attrs.bool('adj_x'));
  const b = swapLast(n.input(1), n.attrs.bool('adj_y'));
  n.emit('MatMul', [a, b], {}, [n.output(0)]);
}

/** TF FloorDiv rounds toward -inf; ONNX Div truncates integers, so integers subtract the floored remainder first. */
function floorDiv(n: NodeLowering): void {
  const [a, b] = [n.input(0), n.input(1)];
  if (DTYPES[n.attrs.dtype('T', 'float32')].float) {
    n.emit('Floor', [n.op('Div', [a, b])], {}, [n.output(0)]);
    return;
  }
  const remainder = n.op('Mod', [a, b], { fmod: ir.int(0) });
  n.emit('Div', [n.op('Sub', [a, remainder]), b], {}, [n.output(0)]);
}

/** ONNX Mod needs fmod=1 on floats (a C fmod, sign of the dividend); TF's FloorMod takes the divisor's sign. */
function floorMod(n: NodeLowering): void {
  const [a, b] = [n.input(0), n.input(1)];
  if (!DTYPES[n.attrs.dtype('T', 'float32')].float) {
    n.emit('Mod', [a, b], { fmod: ir.int(0) }, [n.output(0)]);
    return;
  }
  const floored = n.op('Floor', [n.op('Div', [a, b])]);
  n.emit('Sub', [a, n.op('Mul', [b, floored])], {}, [n.output(0)]);
}

/** StringJoin(inputs, separator) as a chain of ONNX StringConcat (opset 20), which broadcasts like TF does. */
function stringJoin(n: NodeLowering): void {
  const separator = n.attrs.string('separator', '');
  const sep = separator ? n.scalar(separator, 'string') : undefined;
  let joined = n.input(0);
  for (let i = 1; i < n.inputCount; i++) {
    const left = sep ? n.op('StringConcat', [joined, sep]) : joined;
    joined = i === n.inputCount - 1 ? n.emit('StringConcat', [left, n.input(i)], {}, [n.output(0)])[0]! : n.op('StringConcat', [left, n.input(i)]);
  }
  if (n.inputCount === 1) n.produce(0, joined);
}

export function loweringFor(op: string, node: string): Lowering {
  const lowering = OPS[op];
  if (!lowering) {
    throw new NeuropodError('OP_UNSUPPORTED', `TensorFlow op '${op}' (node '${node}') has no lowering to this engine's graph IR`);
  }
  return lowering;
}
