import { NeuropodError } from '../api/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { AttributeValue, Attributes, Graph, Node } from './ir.js';

type ValueTypes = { [A in AttributeValue as A['type']]: A['value'] };
type Kind = keyof ValueTypes;
type ValueOf<K extends Kind> = ValueTypes[K];

/** Typed access to a node's attributes; a present attribute of the wrong type is a model error naming the node. */
export class AttributeReader {
  constructor(
    private readonly attributes: Attributes,
    private readonly node: Pick<Node, 'name' | 'opType'>,
  ) {}

  has(name: string): boolean {
    return this.attributes.has(name);
  }

  private get<K extends Kind>(name: string, kind: K): ValueOf<K> | undefined {
    const a = this.attributes.get(name);
    if (a === undefined) return undefined;
    let value: unknown = a.value;
    if (a.type !== kind) {
      // Some exporters store a single int where ints is expected, or an int for a float: accept the obvious widening.
      if ((kind === 'ints' && a.type === 'int') || (kind === 'floats' && a.type === 'float')) value = [a.value];
      else if (!(kind === 'float' && a.type === 'int')) {
        throw new NeuropodError('MODEL_INVALID', `attribute '${name}' of ${this.node.opType} node '${this.node.name}' is ${a.type}, expected ${kind}`);
      }
    }
    return value as ValueOf<K>;
  }

  int(name: string, fallback: number): number;
  int(name: string): number | undefined;
  int(name: string, fallback?: number): number | undefined {
    return this.get(name, 'int') ?? fallback;
  }

  float(name: string, fallback: number): number;
  float(name: string): number | undefined;
  float(name: string, fallback?: number): number | undefined {
    return this.get(name, 'float') ?? fallback;
  }

  string(name: string, fallback: string): string;
  string(name: string): string | undefined;
  string(name: string, fallback?: string): string | undefined {
    return this.get(name, 'string') ?? fallback;
  }

  ints(name: string, fallback: number[]): number[];
  ints(name: string): number[] | undefined;
  ints(name: string, fallback?: number[]): number[] | undefined {
    return this.get(name, 'ints') ?? fallback;
  }

  floats(name: string, fallback: number[]): number[];
  floats(name: string): number[] | undefined;
  floats(name: string, fallback?: number[]): number[] | undefined {
    return this.get(name, 'floats') ?? fallback;
  }

  strings(name: string, fallback: string[]): string[];
  strings(name: string): string[] | undefined;
  strings(name: string, fallback?: string[]): string[] | undefined {
    return this.get(name, 'strings') ?? fallback;
  }

  tensor(name: string): Tensor | undefined {
    return this.get(name, 'tensor');
  }

  tensors(name: string): Tensor[] | undefined {
    return this.get(name, 'tensors');
  }

  graph(name: string): Graph | undefined {
    return this.get(name, 'graph');
  }

  /** The attribute as stored, for ops that accept several types (Constant). */
  raw(name: string): AttributeValue | undefined {
    return this.attributes.get(name);
  }

  /** A required attribute. */
  require<K extends Kind>(name: string, kind: K): ValueOf<K> {
    const v = this.get(name, kind);
    if (v === undefined) throw new NeuropodError('MODEL_INVALID', `${this.node.opType} node '${this.node.name}' lacks its required attribute '${name}'`);
    return v;
  }
}
