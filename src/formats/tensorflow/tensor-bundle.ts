import { NeuropodError } from '../../api/errors.js';
import { DTYPES, type NumericArray } from '../../tensor/dtype.js';
import { sizeOf, Tensor } from '../../tensor/tensor.js';
import { decodeMessage } from './graph-def.js';
import { BundleEntryType, BundleHeaderType, int64ToNumber, type BundleEntryMsg, type BundleHeaderMsg } from './schema.js';
import { dtypeOfTf, shapeOf } from './tensor-proto.js';

/**
 * A TensorFlow checkpoint (tensor_bundle.h): `<prefix>.index` is an SSTable (LevelDB table format) mapping each
 * tensor's key to a BundleEntryProto that says where its bytes lie in `<prefix>.data-<shard>-of-<count>`; the
 * empty key holds the BundleHeaderProto.
 */
export interface TensorBundle {
  header: BundleHeaderMsg;
  entries: Map<string, BundleEntryMsg>;
}

/** LevelDB table footer: two block handles padded to 40 bytes, then this magic number, little-endian. */
const FOOTER_BYTES = 48;
const TABLE_MAGIC = 0xdb4775248b80fb57n;
const NO_COMPRESSION = 0;

class Reader {
  constructor(
    readonly bytes: Uint8Array,
    public pos = 0,
  ) {}

  varint(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.bytes.length) throw new NeuropodError('MODEL_INVALID', 'a varint runs past the end of the block');
      const b = this.bytes[this.pos++]!;
      result += (b & 0x7f) * scale;
      if (b < 0x80) return result;
      scale *= 128;
    }
  }
}

interface BlockHandle {
  offset: number;
  size: number;
}

function blockHandle(r: Reader): BlockHandle {
  return { offset: r.varint(), size: r.varint() };
}

/** Every key/value of one table block; keys share prefixes with the key before them. */
function blockEntries(table: Uint8Array, handle: BlockHandle, where: string): [string, Uint8Array][] {
  const end = handle.offset + handle.size;
  if (end + 5 > table.length) throw new NeuropodError('MODEL_INVALID', `${where}: a block lies past the end of the file`);
  if (table[end] !== NO_COMPRESSION) throw new NeuropodError('MODEL_INVALID', `${where}: compressed table blocks (type ${table[end]}) are not read`);
  const block = table.subarray(handle.offset, end);
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const restarts = view.getUint32(block.length - 4, true);
  const entriesEnd = block.length - 4 * (restarts + 1);
  const r = new Reader(block);
  const entries: [string, Uint8Array][] = [];
  let key = new Uint8Array(0);
  while (r.pos < entriesEnd) {
    const shared = r.varint();
    const unshared = r.varint();
    const valueLength = r.varint();
    const next = new Uint8Array(shared + unshared);
    next.set(key.subarray(0, shared));
    next.set(block.subarray(r.pos, r.pos + unshared), shared);
    r.pos += unshared;
    key = next;
    entries.push([new TextDecoder().decode(key), block.subarray(r.pos, r.pos + valueLength)]);
    r.pos += valueLength;
  }
  return entries;
}

export function readTensorBundleIndex(index: Uint8Array, where: string): TensorBundle {
  if (index.length < FOOTER_BYTES) throw new NeuropodError('MODEL_INVALID', `${where} is too short to be a checkpoint index`);
  const footer = index.subarray(index.length - FOOTER_BYTES);
  const magic = new DataView(footer.buffer, footer.byteOffset + 40, 8).getBigUint64(0, true);
  if (magic !== TABLE_MAGIC) throw new NeuropodError('MODEL_INVALID', `${where} is not a checkpoint index (no table magic number)`);
  const r = new Reader(footer);
  blockHandle(r);
  const indexHandle = blockHandle(r);
  const entries = new Map<string, BundleEntryMsg>();
  let header: BundleHeaderMsg = { numShards: 1, endianness: 0 };
  for (const [, handleBytes] of blockEntries(index, indexHandle, where)) {
    for (const [key, value] of blockEntries(index, blockHandle(new Reader(handleBytes)), where)) {
      if (key === '') header = decodeMessage<BundleHeaderMsg>(BundleHeaderType, value, `${where} header`);
      else entries.set(key, decodeMessage<BundleEntryMsg>(BundleEntryType, value, `${where} entry '${key}'`));
    }
  }
  if (header.endianness !== 0) throw new NeuropodError('MODEL_INVALID', `${where} was written big-endian, which is not read`);
  return { header, entries };
}

export function shardFileName(prefix: string, shard: number, count: number): string {
  const pad = (v: number) => String(v).padStart(5, '0');
  return `${prefix}.data-${pad(shard)}-of-${pad(count)}`;
}

/** One tensor's value from its shard's bytes. Strings are varint lengths, a checksum, then the bytes. */
export function readBundleTensor(entry: BundleEntryMsg, shard: Uint8Array, key: string): Tensor {
  const where = `checkpoint tensor '${key}'`;
  if (entry.slices.length) throw new NeuropodError('MODEL_INVALID', `${where} is saved in slices, which are not read`);
  const dtype = dtypeOfTf(entry.dtype, where);
  const shape = shapeOf(entry.shape) ?? [];
  const offset = int64ToNumber(entry.offset);
  const bytes = shard.subarray(offset, offset + int64ToNumber(entry.size));
  const size = sizeOf(shape);
  const info = DTYPES[dtype];
  if (!info.array) {
    const r = new Reader(bytes);
    const lengths = Array.from({ length: size }, () => r.varint());
    r.pos += 4;
    const decoder = new TextDecoder();
    return new Tensor(dtype, shape, lengths.map((n) => decoder.decode(bytes.subarray(r.pos, (r.pos += n)))));
  }
  if (bytes.length !== size * info.rawBytes) throw new NeuropodError('MODEL_INVALID', `${where}: ${bytes.length} bytes for ${size} ${dtype} values`);
  const copy = new Uint8Array(bytes);
  return new Tensor(dtype, shape, new info.array(copy.buffer, 0, size) as NumericArray);
}
