import { NeuropodError } from '../../api/errors.js';
import { isBuildable, PickleGlobal, PickleObject, PickleTuple, type PickleValue } from './values.js';

/**
 * How a caller gives meaning to the names a pickle refers to. `reduce` runs for REDUCE / NEWOBJ of a global
 * (return undefined to keep a generic PickleObject); `persistentLoad` resolves PERSID ids (torch storages).
 */
export interface UnpickleHooks {
  reduce?(callable: PickleGlobal, args: readonly PickleValue[]): PickleValue | undefined;
  persistentLoad?(id: PickleValue): PickleValue;
}

const MARK = Symbol('mark');
type StackItem = PickleValue | typeof MARK;

const textDecoder = new TextDecoder('utf-8');

/** Python's pickle virtual machine (protocols 0 to 5, out-of-band buffers excepted), from the opcode list in CPython's pickletools. */
export function unpickle(bytes: Uint8Array, source: string, hooks: UnpickleHooks = {}): PickleValue {
  return new Unpickler(bytes, source, hooks).run();
}

class Unpickler {
  private pos = 0;
  private stack: StackItem[] = [];
  private readonly memo = new Map<number, PickleValue>();
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly source: string,
    private readonly hooks: UnpickleHooks,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(what: string): NeuropodError {
    return new NeuropodError('MODEL_INVALID', `${this.source}: bad pickle at byte ${this.pos}: ${what}`);
  }

  run(): PickleValue {
    for (;;) {
      if (this.pos >= this.bytes.length) throw this.fail('ends without STOP');
      const op = this.bytes[this.pos++]!;
      if (op === 0x2e) return this.pop(); // STOP
      const handler = OPCODES[op];
      if (!handler) throw this.fail(`unknown opcode 0x${op.toString(16)}`);
      handler(this);
    }
  }

  // --- reading the stream

  u8(): number {
    return this.bytes[this.pos++]!;
  }
  u16(): number {
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(): number {
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i32(): number {
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64(): number {
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return Number(v);
  }
  f64be(): number {
    const v = this.view.getFloat64(this.pos, false);
    this.pos += 8;
    return v;
  }
  take(n: number): Uint8Array {
    if (this.pos + n > this.bytes.length) throw this.fail(`needs ${n} bytes past the end`);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  utf8(n: number): string {
    return textDecoder.decode(this.take(n));
  }
  line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) throw this.fail('text argument without newline');
    const s = latin1(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return s;
  }

  // --- the stack

  push(v: StackItem): void {
    this.stack.push(v);
  }
  pushMark(): void {
    this.stack.push(MARK);
  }
  pop(): PickleValue {
    const v = this.stack.pop();
    if (v === undefined || v === MARK) throw this.fail('stack underflow');
    return v;
  }
  top(): PickleValue {
    const v = this.stack[this.stack.length - 1];
    if (v === undefined || v === MARK) throw this.fail('empty stack');
    return v;
  }
  popToMark(): PickleValue[] {
    const at = this.stack.lastIndexOf(MARK);
    if (at < 0) throw this.fail('no MARK on the stack');
    const items = this.stack.splice(at) as PickleValue[];
    items.shift();
    return items;
  }
  put(index: number): void {
    this.memo.set(index, this.top());
  }
  get(index: number): void {
    if (!this.memo.has(index)) throw this.fail(`memo ${index} was never stored`);
    this.push(this.memo.get(index)!);
  }
  memoize(): void {
    this.memo.set(this.memo.size, this.top());
  }

  // --- objects

  call(callable: PickleValue, args: readonly PickleValue[]): PickleValue {
    if (!(callable instanceof PickleGlobal)) throw this.fail('REDUCE of something that is not a global');
    return this.hooks.reduce?.(callable, args) ?? new PickleObject(callable.qualifiedName, args);
  }
  build(state: PickleValue): void {
    const target = this.top();
    if (isBuildable(target)) target.setState(state);
    else if (target instanceof PickleObject) target.state = state;
    else if (target instanceof Map && state instanceof Map) for (const [k, v] of state) target.set(k, v);
    else throw this.fail('BUILD on an object that takes no state');
  }
  persistent(id: PickleValue): PickleValue {
    if (!this.hooks.persistentLoad) throw this.fail('persistent id without a loader');
    return this.hooks.persistentLoad(id);
  }
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/** Two's-complement little-endian integer (LONG1/LONG4). */
function littleEndianInt(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  if (bytes[bytes.length - 1]! & 0x80) v -= 1n << BigInt(bytes.length * 8);
  return v;
}


/** Protocol 0 `INT`: decimal text, with `01`/`00` meaning True/False (Python 2). */
function textInt(line: string): PickleValue {
  if (line === '01') return true;
  if (line === '00') return false;
  return BigInt(line.replace(/L$/, ''));
}

/** Protocol 0 `STRING`: a quoted Python 2 repr whose escapes give the bytes, returned as a latin-1 string. */
function textString(line: string): string {
  const body = line.slice(1, -1);
  const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', v: '\v', '0': '\0' };
  return body.replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)/g, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]+$/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return escapes[e] ?? `\\${e}`;
  });
}

function toTuple(items: PickleValue[]): PickleTuple {
  return new PickleTuple(items);
}

function setItems(u: Unpickler, dict: PickleValue, items: PickleValue[]): void {
  if (!(dict instanceof Map)) throw u.fail('SETITEM(S) on something that is not a dict');
  for (let i = 0; i + 1 < items.length; i += 2) dict.set(items[i]!, items[i + 1]!);
}

function appendItems(u: Unpickler, list: PickleValue, items: PickleValue[]): void {
  if (Array.isArray(list)) list.push(...items);
  else if (list instanceof Set) for (const v of items) list.add(v);
  else throw u.fail('APPEND(S) on something that is not a list');
}

type Handler = (u: Unpickler) => void;

/** One row an opcode; byte values from CPython's Lib/pickletools.py. */
const OPCODES: Partial<Record<number, Handler>> = {
  0x80: (u) => void u.u8(), // PROTO
  0x95: (u) => void u.u64(), // FRAME: frames are only a read-ahead hint
  0x28: (u) => u.pushMark(), // MARK
  0x30: (u) => void u.pop(), // POP
  0x31: (u) => void u.popToMark(), // POP_MARK
  0x32: (u) => u.push(u.top()), // DUP
  0x4e: (u) => u.push(null), // NONE
  0x88: (u) => u.push(true), // NEWTRUE
  0x89: (u) => u.push(false), // NEWFALSE
  0x49: (u) => u.push(textInt(u.line())), // INT
  0x4a: (u) => u.push(BigInt(u.i32())), // BININT
  0x4b: (u) => u.push(BigInt(u.u8())), // BININT1
  0x4d: (u) => u.push(BigInt(u.u16())), // BININT2
  0x4c: (u) => u.push(BigInt(u.line().replace(/L$/, ''))), // LONG
  0x8a: (u) => u.push(littleEndianInt(u.take(u.u8()))), // LONG1
  0x8b: (u) => u.push(littleEndianInt(u.take(u.i32()))), // LONG4
  0x46: (u) => u.push(parseFloat(u.line())), // FLOAT
  0x47: (u) => u.push(u.f64be()), // BINFLOAT
  0x53: (u) => u.push(textString(u.line())), // STRING
  0x54: (u) => u.push(latin1(u.take(u.i32()))), // BINSTRING
  0x55: (u) => u.push(latin1(u.take(u.u8()))), // SHORT_BINSTRING
  0x56: (u) => u.push(u.line().replace(/\\u([0-9a-fA-F]{4})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))), // UNICODE
  0x58: (u) => u.push(u.utf8(u.u32())), // BINUNICODE
  0x8c: (u) => u.push(u.utf8(u.u8())), // SHORT_BINUNICODE
  0x8d: (u) => u.push(u.utf8(u.u64())), // BINUNICODE8
  0x42: (u) => u.push(u.take(u.u32()).slice()), // BINBYTES
  0x43: (u) => u.push(u.take(u.u8()).slice()), // SHORT_BINBYTES
  0x8e: (u) => u.push(u.take(u.u64()).slice()), // BINBYTES8
  0x96: (u) => u.push(u.take(u.u64()).slice()), // BYTEARRAY8
  0x5d: (u) => u.push([]), // EMPTY_LIST
  0x61: (u) => { const v = u.pop(); appendItems(u, u.top(), [v]); }, // APPEND
  0x65: (u) => { const items = u.popToMark(); appendItems(u, u.top(), items); }, // APPENDS
  0x6c: (u) => u.push(u.popToMark()), // LIST
  0x29: (u) => u.push(toTuple([])), // EMPTY_TUPLE
  0x74: (u) => u.push(toTuple(u.popToMark())), // TUPLE
  0x85: (u) => u.push(toTuple([u.pop()])), // TUPLE1
  0x86: (u) => { const b = u.pop(); u.push(toTuple([u.pop(), b])); }, // TUPLE2
  0x87: (u) => { const c = u.pop(); const b = u.pop(); u.push(toTuple([u.pop(), b, c])); }, // TUPLE3
  0x7d: (u) => u.push(new Map()), // EMPTY_DICT
  0x64: (u) => { const d = new Map(); setItems(u, d, u.popToMark()); u.push(d); }, // DICT
  0x73: (u) => { const v = u.pop(); const k = u.pop(); setItems(u, u.top(), [k, v]); }, // SETITEM
  0x75: (u) => { const items = u.popToMark(); setItems(u, u.top(), items); }, // SETITEMS
  0x8f: (u) => u.push(new Set()), // EMPTY_SET
  0x90: (u) => { const items = u.popToMark(); appendItems(u, u.top(), items); }, // ADDITEMS
  0x91: (u) => u.push(new Set(u.popToMark())), // FROZENSET
  0x63: (u) => { const module = u.line(); u.push(new PickleGlobal(module, u.line())); }, // GLOBAL
  0x93: (u) => { const name = u.pop(); u.push(new PickleGlobal(String(u.pop()), String(name))); }, // STACK_GLOBAL
  0x52: (u) => { const args = u.pop(); u.push(u.call(u.pop(), argsOf(u, args))); }, // REDUCE
  0x81: (u) => { const args = u.pop(); u.push(u.call(u.pop(), argsOf(u, args))); }, // NEWOBJ
  0x92: (u) => { u.pop(); const args = u.pop(); u.push(u.call(u.pop(), argsOf(u, args))); }, // NEWOBJ_EX (kwargs ignored)
  0x62: (u) => u.build(u.pop()), // BUILD
  0x69: (u) => { const g = new PickleGlobal(u.line(), u.line()); u.push(u.call(g, u.popToMark())); }, // INST
  0x6f: (u) => { const [cls, ...args] = u.popToMark(); u.push(u.call(cls!, args)); }, // OBJ
  0x70: (u) => u.put(Number(u.line())), // PUT
  0x71: (u) => u.put(u.u8()), // BINPUT
  0x72: (u) => u.put(u.u32()), // LONG_BINPUT
  0x67: (u) => u.get(Number(u.line())), // GET
  0x68: (u) => u.get(u.u8()), // BINGET
  0x6a: (u) => u.get(u.u32()), // LONG_BINGET
  0x94: (u) => u.memoize(), // MEMOIZE
  0x50: (u) => u.push(u.persistent(u.line())), // PERSID
  0x51: (u) => u.push(u.persistent(u.pop())), // BINPERSID
};

function argsOf(u: Unpickler, args: PickleValue): readonly PickleValue[] {
  if (args instanceof PickleTuple) return args.items;
  throw u.fail('call arguments are not a tuple');
}
