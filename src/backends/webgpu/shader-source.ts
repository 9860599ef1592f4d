import { NeuropodError } from '../../api/errors.js';
import { WGSL, type ShaderName } from './wgsl.generated.js';

/**
 * A WGSL template from shaders/ with its slots filled: `{{family/name}}` includes that shader file (shared math,
 * shared parameter blocks), `{{SLOT}}` takes `fills[SLOT]`. A slot left open is a bug, said at once.
 */
export function shaderSource(name: ShaderName, fills: Record<string, string> = {}): string {
  return WGSL[name].replace(/\{\{([A-Za-z_-]+\/[A-Za-z_-]+|[A-Z_]+)\}\}/g, (slot, key: string) => {
    const fill = key.includes('/') ? (WGSL as Record<string, string>)[key] : fills[key];
    if (fill === undefined) throw new NeuropodError('INFERENCE_FAILED', `webgpu: shader ${name} needs a fill for ${slot}`);
    return fill;
  });
}

/**
 * A uniform struct of vec4 members (every shader's Params is built of vec4s and arrays of them, so members pack
 * back to back with no padding rules to mirror).
 */
export class UniformWriter {
  private readonly words: number[] = [];
  private readonly kinds: ('f' | 'u' | 'i')[] = [];

  f32(...v: number[]): this {
    return this.vec(v, 'f');
  }

  u32(...v: number[]): this {
    return this.vec(v, 'u');
  }

  i32(...v: number[]): this {
    return this.vec(v, 'i');
  }

  /** An `array<vec4<u32|i32>, 2>`: up to eight values, zero-padded. */
  dims8(values: readonly number[], kind: 'u' | 'i' = 'u'): this {
    if (values.length > 8) throw new NeuropodError('INFERENCE_FAILED', `webgpu: rank ${values.length} is above the 8 the shaders take`);
    const padded = [...values, ...new Array<number>(8 - values.length).fill(0)];
    return this.vec(padded.slice(0, 4), kind).vec(padded.slice(4), kind);
  }

  private vec(v: readonly number[], kind: 'f' | 'u' | 'i'): this {
    if (v.length > 4) throw new NeuropodError('INFERENCE_FAILED', `webgpu: a uniform vec4 takes at most 4 values`);
    for (let i = 0; i < 4; i++) {
      this.words.push(v[i] ?? 0);
      this.kinds.push(kind);
    }
    return this;
  }

  bytes(): Uint8Array {
    const buf = new ArrayBuffer(this.words.length * 4);
    const f = new Float32Array(buf), u = new Uint32Array(buf), i = new Int32Array(buf);
    this.words.forEach((w, k) => {
      if (this.kinds[k] === 'f') f[k] = w;
      else if (this.kinds[k] === 'u') u[k] = w >>> 0;
      else i[k] = w | 0;
    });
    return new Uint8Array(buf);
  }
}

/** Workgroups for `n` threads of 64: x up to 65535, the rest in y (shaders fold y back with num_workgroups). */
export function linearGroups(n: number, perGroup = 64): [number, number] {
  const groups = Math.ceil(n / perGroup);
  if (groups <= 65535) return [groups, 1];
  return [65535, Math.ceil(groups / 65535)];
}
