import { NeuropodError } from '../../api/errors.js';
import type { AttributeValue, Attributes } from '../../graph/ir.js';
import type { DType } from '../../tensor/dtype.js';
import type { Tensor } from '../../tensor/tensor.js';
import { int64ToNumber, type AttrValueMsg, type TensorShapeMsg } from './schema.js';
import { dtypeOfTf, shapeOf, tensorFromTfProto } from './tensor-proto.js';

const utf8 = new TextDecoder();

export function text(bytes: Uint8Array | undefined): string {
  return bytes && bytes.length ? utf8.decode(bytes) : '';
}

/** Typed reads of a TF NodeDef's attributes; a missing required attribute names the node. */
export class TfAttrs {
  constructor(
    private readonly attr: Record<string, AttrValueMsg>,
    private readonly where: string,
  ) {}

  has(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.attr, name);
  }

  private value(name: string): AttrValueMsg | undefined {
    return this.has(name) ? this.attr[name] : undefined;
  }

  /** protobufjs keeps a field's default on the prototype: only an own property was set. */
  private field<K extends keyof AttrValueMsg>(name: string, key: K): AttrValueMsg[K] | undefined {
    const v = this.value(name);
    return v && Object.prototype.hasOwnProperty.call(v, key) ? v[key] : undefined;
  }

  private missing(name: string): NeuropodError {
    return new NeuropodError('MODEL_INVALID', `${this.where} has no attribute '${name}'`);
  }

  int(name: string, fallback?: number): number {
    const v = this.field(name, 'i');
    if (v !== undefined) return int64ToNumber(v);
    if (fallback === undefined) throw this.missing(name);
    return fallback;
  }

  float(name: string, fallback?: number): number {
    const v = this.field(name, 'f');
    if (v !== undefined) return v;
    if (fallback === undefined) throw this.missing(name);
    return fallback;
  }

  bool(name: string, fallback = false): boolean {
    return this.field(name, 'b') ?? fallback;
  }

  string(name: string, fallback?: string): string {
    const v = this.field(name, 's');
    if (v !== undefined) return text(v);
    if (fallback === undefined) throw this.missing(name);
    return fallback;
  }

  ints(name: string, fallback?: number[]): number[] {
    const v = this.value(name);
    if (v?.list) return v.list.i.map((i) => int64ToNumber(i));
    if (fallback === undefined) throw this.missing(name);
    return fallback;
  }

  floats(name: string, fallback?: number[]): number[] {
    const v = this.value(name);
    if (v?.list) return [...v.list.f];
    if (fallback === undefined) throw this.missing(name);
    return fallback;
  }

  strings(name: string, fallback?: string[]): string[] {
    const v = this.value(name);
    if (v?.list) return v.list.s.map(text);
    if (fallback === undefined) throw this.missing(name);
    return fallback;
  }

  dtype(name: string, fallback?: DType): DType {
    const v = this.field(name, 'type');
    if (v !== undefined) return dtypeOfTf(v, `${this.where} attribute '${name}'`);
    if (fallback === undefined) throw this.missing(name);
    return fallback;
  }

  shape(name: string): number[] | undefined {
    const v = this.value(name);
    return v?.shape ? shapeOf(v.shape as TensorShapeMsg) : undefined;
  }

  tensor(name: string): Tensor {
    const v = this.value(name);
    if (!v?.tensor) throw this.missing(name);
    return tensorFromTfProto(v.tensor, this.where);
  }
}

/** IR attribute values, written where a lowering builds a node. */
export const ir = {
  int: (value: number): AttributeValue => ({ type: 'int', value }),
  ints: (value: number[]): AttributeValue => ({ type: 'ints', value }),
  float: (value: number): AttributeValue => ({ type: 'float', value }),
  floats: (value: number[]): AttributeValue => ({ type: 'floats', value }),
  string: (value: string): AttributeValue => ({ type: 'string', value }),
  strings: (value: string[]): AttributeValue => ({ type: 'strings', value }),
  tensor: (value: Tensor): AttributeValue => ({ type: 'tensor', value }),
};

export function attributes(record: Record<string, AttributeValue> = {}): Attributes {
  return new Map(Object.entries(record));
}
