import { NeuropodError } from '../../api/errors.js';
import { DTYPES, type DType } from '../../tensor/dtype.js';
import { Tensor } from '../../tensor/tensor.js';
import { ir } from './attr.js';
import type { NodeLowering } from './builder.js';

type Lowering = (n: NodeLowering) => void;

/**
 * TensorList* (what TF2 TensorArrays and while loops are built on) as ONNX sequences: a list is a sequence of its
 * items, element_dtype typed. Reserved items a list never sets are zeros of the element shape when the shape is
 * known (TF stacks them as zeros too), else empty placeholders a stack of them rejects.
 */

/** The element shape input as a list of dims, when it is a constant with every dim known. */
function knownShape(n: NodeLowering, i: number): number[] | undefined {
  const c = n.constant(i);
  if (!c) return undefined;
  const dims = Array.from(c.numeric as ArrayLike<number | bigint>, Number);
  // A scalar -1 is "unknown rank"; a -1 dim is unknown.
  if (c.rank === 0) return dims[0] === -1 ? undefined : [];
  return dims.every((d) => d >= 0) ? dims : undefined;
}

function elementType(n: NodeLowering): DType {
  return n.attrs.dtype('element_dtype');
}

/** Records a list's element dtype: a Loop body input carrying it needs a typed sequence. */
function typed(n: NodeLowering, value: string): string {
  n.builder.sequenceTypes.set(value, elementType(n));
  return value;
}

function zerosOf(n: NodeLowering, dtype: DType, shape: string): string {
  const zero = new Tensor(dtype, [1], new (DTYPES[dtype].array!)(1));
  return n.op('ConstantOfShape', [shape], { value: ir.tensor(zero) });
}

const int64Of = (n: NodeLowering, v: string) => n.op('Cast', [v], { to: ir.int(DTYPES.int64.onnx) });

function reserve(n: NodeLowering): void {
  const dtype = elementType(n);
  const shape = knownShape(n, 0) ?? [0];
  const count = n.op('Reshape', [int64Of(n, n.input(1)), n.int64s([1])]);
  const full = zerosOf(n, dtype, n.op('Concat', [count, n.int64s(shape)], { axis: ir.int(0) }));
  typed(n, n.emit('SplitToSequence', [full], { axis: ir.int(0), keepdims: ir.int(0) }, [n.output(0)])[0]!);
}

function emptyList(n: NodeLowering): void {
  typed(n, n.emit('SequenceEmpty', [], { dtype: ir.int(DTYPES[elementType(n)].onnx) }, [n.output(0)])[0]!);
}

function fromTensor(n: NodeLowering): void {
  typed(n, n.emit('SplitToSequence', [n.input(0)], { axis: ir.int(0), keepdims: ir.int(0) }, [n.output(0)])[0]!);
}

function getItem(n: NodeLowering): void {
  n.emit('SequenceAt', [n.input(0), int64Of(n, n.input(1))], {}, [n.output(0)]);
}

function setItem(n: NodeLowering): void {
  const at = int64Of(n, n.input(1));
  const erased = n.op('SequenceErase', [n.input(0), at]);
  typed(n, n.emit('SequenceInsert', [erased, n.input(2), at], {}, [n.output(0)])[0]!);
}

function pushBack(n: NodeLowering): void {
  typed(n, n.emit('SequenceInsert', [n.input(0), n.input(1)], {}, [n.output(0)])[0]!);
}

function popBack(n: NodeLowering): void {
  const last = n.int64s([-1], []);
  typed(n, n.emit('SequenceErase', [n.input(0), last], {}, [n.output(0)])[0]!);
  n.emit('SequenceAt', [n.input(0), last], {}, [n.output(1)]);
}

function length(n: NodeLowering): void {
  n.emit('Cast', [n.op('SequenceLength', [n.input(0)])], { to: ir.int(DTYPES.int32.onnx) }, [n.output(0)]);
}

/**
 * Stack: items on a new first axis. With the element shape known, a zero item goes first and is sliced off, so an
 * empty list stacks to [0, ...shape] as in TF (ConcatFromSequence has nothing to stack otherwise).
 */
function stack(n: NodeLowering): void {
  const shape = knownShape(n, 1);
  if (!shape) {
    n.emit('ConcatFromSequence', [n.input(0)], { axis: ir.int(0), new_axis: ir.int(1) }, [n.output(0)]);
    return;
  }
  const seeded = n.op('SequenceInsert', [n.input(0), zerosOf(n, elementType(n), n.int64s(shape)), n.int64s([0], [])]);
  const all = n.op('ConcatFromSequence', [seeded], { axis: ir.int(0), new_axis: ir.int(1) });
  n.emit('Slice', [all, n.int64s([1]), n.int64s([Number.MAX_SAFE_INTEGER]), n.int64s([0])], {}, [n.output(0)]);
}

/** The shape of the list's first item (TF's element_shape of a list whose items are all alike). */
function elementShape(n: NodeLowering): void {
  const shape = n.op('Shape', [n.op('SequenceAt', [n.input(0), n.int64s([0], [])])]);
  const to = n.attrs.dtype('shape_type', 'int32');
  if (to === 'int64') n.produce(0, shape);
  else n.emit('Cast', [shape], { to: ir.int(DTYPES[to].onnx) }, [n.output(0)]);
}

/** Items at `indices` stacked (TensorListGather). */
function gather(n: NodeLowering): void {
  const indices = int64Of(n, n.input(1));
  const all = n.op('ConcatFromSequence', [n.input(0)], { axis: ir.int(0), new_axis: ir.int(1) });
  n.emit('Gather', [all, indices], { axis: ir.int(0) }, [n.output(0)]);
}

export const LIST_OPS: Record<string, Lowering> = {
  TensorListReserve: reserve,
  EmptyTensorList: emptyList,
  TensorListFromTensor: fromTensor,
  TensorListGetItem: getItem,
  TensorListSetItem: setItem,
  TensorListPushBack: pushBack,
  TensorListPopBack: popBack,
  TensorListLength: length,
  TensorListStack: stack,
  TensorListElementShape: elementShape,
  TensorListGather: gather,
};

/**
 * TF1 TensorArrays (TensorArrayV3 and kin, what dynamic_rnn writes into a frozen graph) as sequences too: the
 * array's value travels in its flow tensor (output 1 of TensorArrayV3, input and output of every write), which is
 * what loops carry; the handle only names the array. Reads take the flow they are given, so each sees the writes
 * ordered before it, as TF's flow dependencies order them.
 */
function tensorArray(n: NodeLowering): void {
  const dtype = n.attrs.dtype('dtype');
  const declared = n.attrs.shape('element_shape');
  const shape = declared && declared.every((d) => d >= 0) ? declared : [0];
  const count = n.op('Reshape', [int64Of(n, n.input(0)), n.int64s([1])]);
  const full = zerosOf(n, dtype, n.op('Concat', [count, n.int64s(shape)], { axis: ir.int(0) }));
  const flow = n.emit('SplitToSequence', [full], { axis: ir.int(0), keepdims: ir.int(0) }, [n.output(1)])[0]!;
  n.builder.sequenceTypes.set(flow, dtype);
  n.builder.freshArrays.add(flow);
  n.produce(0, n.scalar(n.node.name, 'string'));
}

/** The flow input of a TensorArray op (its last input) as the sequence it carries. */
function flowOf(n: NodeLowering): string {
  const flow = n.input(n.inputCount - 1);
  if (!n.builder.sequenceTypes.has(flow)) throw new NeuropodError('OP_UNSUPPORTED', `${n.where}: its flow input is not the flow of a TensorArrayV3 this engine lowered`);
  return flow;
}

function keepType(n: NodeLowering, from: string, value: string): string {
  n.builder.sequenceTypes.set(value, n.builder.sequenceTypes.get(from)!);
  return value;
}

function arrayWrite(n: NodeLowering): void {
  const flow = flowOf(n);
  const at = int64Of(n, n.input(1));
  keepType(n, flow, n.emit('SequenceInsert', [n.op('SequenceErase', [flow, at]), n.input(2), at], {}, [n.output(0)])[0]!);
}

function arrayRead(n: NodeLowering): void {
  n.emit('SequenceAt', [flowOf(n), int64Of(n, n.input(1))], {}, [n.output(0)]);
}

function arrayGather(n: NodeLowering): void {
  const all = n.op('ConcatFromSequence', [flowOf(n)], { axis: ir.int(0), new_axis: ir.int(1) });
  n.emit('Gather', [all, int64Of(n, n.input(1))], { axis: ir.int(0) }, [n.output(0)]);
}

/**
 * Scatter rows of `value` to `indices`: ScatterND into the array stacked, split again. An array fresh from
 * TensorArrayV3 (what `unstack` scatters into) is zeros of value's row shape, whatever element shape it declared;
 * any other is stacked as it is (an item never set and of no known shape makes that stack fail, not guess).
 */
function arrayScatter(n: NodeLowering): void {
  const flow = flowOf(n);
  const value = n.input(2);
  let base: string;
  if (n.builder.freshArrays.has(flow)) {
    const rowShape = n.op('Slice', [n.op('Shape', [value]), n.int64s([1]), n.int64s([Number.MAX_SAFE_INTEGER]), n.int64s([0])]);
    const length = n.op('Reshape', [n.op('SequenceLength', [flow]), n.int64s([1])]);
    base = zerosOf(n, n.builder.sequenceTypes.get(flow)!, n.op('Concat', [length, rowShape], { axis: ir.int(0) }));
  } else {
    base = n.op('ConcatFromSequence', [flow], { axis: ir.int(0), new_axis: ir.int(1) });
  }
  const indices = n.op('Unsqueeze', [int64Of(n, n.input(1)), n.int64s([1])]);
  const scattered = n.op('ScatterND', [base, indices, value]);
  keepType(n, flow, n.emit('SplitToSequence', [scattered], { axis: ir.int(0), keepdims: ir.int(0) }, [n.output(0)])[0]!);
}

function arraySize(n: NodeLowering): void {
  n.emit('Cast', [n.op('SequenceLength', [flowOf(n)])], { to: ir.int(DTYPES.int32.onnx) }, [n.output(0)]);
}

export const TENSOR_ARRAY_OPS: Record<string, Lowering> = {
  TensorArrayV3: tensorArray,
  TensorArrayWriteV3: arrayWrite,
  TensorArrayReadV3: arrayRead,
  TensorArrayGatherV3: arrayGather,
  TensorArrayScatterV3: arrayScatter,
  TensorArraySizeV3: arraySize,
  TensorArrayCloseV3: () => {},
};
