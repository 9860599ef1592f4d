import { NeuropodError } from '../../api/errors.js';
import { allocate, DTYPES, type DType } from '../../tensor/dtype.js';
import { sizeOf, Tensor } from '../../tensor/tensor.js';
import { unpickle } from '../pickle/unpickle.js';
import { itemsOf, PickleGlobal, type PickleValue } from '../pickle/values.js';

/** torch storage classes (`torch.FloatStorage`) and dtypes (`torch.float32`) to engine dtypes. */
const STORAGE_DTYPES: Record<string, DType> = {
  FloatStorage: 'float32', DoubleStorage: 'float64', HalfStorage: 'float16', BFloat16Storage: 'bfloat16',
  LongStorage: 'int64', IntStorage: 'int32', ShortStorage: 'int16', CharStorage: 'int8', ByteStorage: 'uint8',
  BoolStorage: 'bool',
  float32: 'float32', float: 'float32', float64: 'float64', double: 'float64', float16: 'float16', half: 'float16',
  bfloat16: 'bfloat16', int64: 'int64', long: 'int64', int32: 'int32', int: 'int32', int16: 'int16', short: 'int16',
  int8: 'int8', uint8: 'uint8', bool: 'bool',
};

/** The bytes of a storage and how to read them. */
class Storage {
  constructor(
    readonly dtype: DType,
    readonly bytes: Uint8Array,
  ) {}

  elements(): ArrayLike<unknown> {
    const ctor = DTYPES[this.dtype].array!;
    const width = DTYPES[this.dtype].rawBytes;
    const aligned = this.bytes.byteOffset % width === 0 ? this.bytes : this.bytes.slice();
    return new ctor(aligned.buffer as ArrayBuffer, aligned.byteOffset, Math.floor(aligned.byteLength / width));
  }
}

/** Unpickles data.pkl / constants.pkl of a `torch.jit.save` archive; `readRecord(key)` gives a storage's bytes. */
export function readTorchPickle(bytes: Uint8Array, source: string, readRecord: (key: string) => Uint8Array): PickleValue {
  const storages = new Map<string, Storage>();
  return unpickle(bytes, source, {
    persistentLoad(id) {
      // ('storage', storage type, key, location, numel): torch/serialization.py persistent_id.
      const [tag, type, key] = itemsOf(id) ?? [];
      if (tag !== 'storage' || !(type instanceof PickleGlobal)) throw new NeuropodError('MODEL_INVALID', `${source}: persistent id ${String(tag)} is not a storage`);
      const dtype = STORAGE_DTYPES[type.name];
      if (!dtype) throw new NeuropodError('MODEL_INVALID', `${source}: storage type ${type.qualifiedName} is not one this reader knows`);
      let storage = storages.get(String(key));
      if (!storage) storages.set(String(key), (storage = new Storage(dtype, readRecord(String(key)))));
      return storage;
    },
    reduce(callable, args) {
      const name = callable.qualifiedName;
      if (name === 'torch._utils._rebuild_tensor_v2' || name === 'torch._utils._rebuild_tensor') return rebuildTensor(args, source);
      if (name === 'torch._utils._rebuild_parameter') return args[0];
      if (name === 'collections.OrderedDict') return new Map();
      if (name === 'torch.jit._pickle.restore_type_tag') return args[0];
      if (/^torch\.jit\._pickle\.build_(int|double|bool|tensor)list$/.test(name)) return args[0];
      return undefined;
    },
  });
}

/** `_rebuild_tensor_v2(storage, storage_offset, size, stride, ...)`: a contiguous copy of the strided view. */
function rebuildTensor(args: readonly PickleValue[], source: string): Tensor {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof Storage)) throw new NeuropodError('MODEL_INVALID', `${source}: a tensor without a storage`);
  const shape = (itemsOf(size!) ?? []).map(Number);
  const strides = (itemsOf(stride!) ?? []).map(Number);
  return copyStrided(storage.dtype, storage.elements(), Number(offset), shape, strides);
}

/** A contiguous tensor from a strided view of `elements` (storage offset and strides counted in elements). */
export function copyStrided(dtype: DType, elements: ArrayLike<unknown>, offset: number, shape: number[], strides: number[]): Tensor {
  const count = sizeOf(shape);
  const out = allocate(dtype, count) as unknown as unknown[];
  const index = new Array<number>(shape.length).fill(0);
  let at = offset;
  for (let i = 0; i < count; i++) {
    out[i] = elements[at];
    for (let d = shape.length - 1; d >= 0; d--) {
      at += strides[d]!;
      if (++index[d]! < shape[d]!) break;
      at -= strides[d]! * shape[d]!;
      index[d] = 0;
    }
  }
  return new Tensor(dtype, shape, out as never);
}
