import type { Tensor } from '../tensor/tensor.js';

/** Elements printed before a tensor is summarised. */
const MAX_PRINTED = 1000;

/** The shortest decimal that reads back to the same float32 (so 0.1f prints as 0.1, not 0.10000000149011612). */
function float32Text(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  for (let digits = 1; digits <= 9; digits++) {
    const text = Number(v.toPrecision(digits));
    if (Math.fround(text) === v) return String(text);
  }
  return String(v);
}

function elementText(t: Tensor, v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (t.dtype === 'float32') return float32Text(v as number);
  return String(v);
}

/** `[[8,10],[12,14]]`: nested by the shape, row-major. Large tensors print their shape and first values. */
export function formatTensor(t: Tensor): string {
  const data = t.data as ArrayLike<unknown>;
  if (t.size > MAX_PRINTED) {
    const head = Array.from({ length: 10 }, (_, i) => elementText(t, data[i])).join(',');
    return `${t.dtype}[${t.shape.join(',')}] [${head},…]`;
  }
  let at = 0;
  const nest = (axis: number): string => {
    if (axis === t.shape.length) return elementText(t, data[at++]);
    return `[${Array.from({ length: t.shape[axis]! }, () => nest(axis + 1)).join(',')}]`;
  };
  return nest(0);
}
