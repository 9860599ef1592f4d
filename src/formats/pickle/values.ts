/**
 * What a pickle decodes to, in JavaScript terms. None is null, bool is boolean, int is bigint (Python ints are
 * unbounded, and it keeps them apart from floats), float is number, str is string, bytes is Uint8Array, list is an array, tuple is a PickleTuple, dict is a
 * Map (keys keep their Python types), set is a Set. A class instance nobody taught the reader is a PickleObject.
 */
export type PickleValue =
  | null | boolean | number | bigint | string | Uint8Array
  | PickleValue[] | PickleTuple | Map<PickleValue, PickleValue> | Set<PickleValue>
  | PickleGlobal | PickleObject | object;

/** A Python tuple: kept apart from lists because some readers (torch sizes, numpy states) expect one. */
export class PickleTuple {
  constructor(readonly items: readonly PickleValue[]) {}
}

/** A reference to a module-level Python name (`GLOBAL torch FloatStorage`). */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}

  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** An instance of a class the reader has no decoder for: its class, constructor arguments and BUILD state. */
export class PickleObject {
  state: PickleValue = null;
  constructor(
    readonly className: string,
    readonly args: readonly PickleValue[],
  ) {}

  /** The instance attribute `name` when its state is an attribute dict. */
  attribute(name: string): PickleValue | undefined {
    return this.state instanceof Map ? this.state.get(name) : undefined;
  }
}

/** An object that takes its state from a BUILD opcode (Python `__setstate__`). */
export interface Buildable {
  setState(state: PickleValue): void;
}

export function isBuildable(v: unknown): v is Buildable {
  return typeof v === 'object' && v !== null && typeof (v as Buildable).setState === 'function';
}

/** Items of a tuple or list. */
export function itemsOf(v: PickleValue): readonly PickleValue[] | undefined {
  if (v instanceof PickleTuple) return v.items;
  return Array.isArray(v) ? v : undefined;
}
