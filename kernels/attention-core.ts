/**
 * Scaled dot-product attention on [batch, heads, sequence, head_size] arrays: the computation under ONNX Attention
 * (opset 23) and the com.microsoft Attention, MultiHeadAttention and GroupQueryAttention. Query heads share
 * key/value heads in groups (GQA) when kvHeads < qHeads.
 */
export interface AttentionProblem {
  batch: number;
  qHeads: number;
  kvHeads: number;
  qLen: number;
  kvLen: number;
  headSize: number;
  vHeadSize: number;
  /** [batch, qHeads, qLen, headSize] */
  q: ArrayLike<number>;
  /** [batch, kvHeads, kvLen, headSize] */
  k: ArrayLike<number>;
  /** [batch, kvHeads, kvLen, vHeadSize] */
  v: ArrayLike<number>;
  scale: number;
  /** Added to the scaled score of (b, n, s, l); -Infinity masks. */
  bias?: (b: number, n: number, s: number, l: number) => number;
  /** Applied to the scaled score before the bias, so masked scores stay -Infinity: softcap * tanh(x / softcap). */
  softcap?: number;
  /** Where to copy each row of scores ([batch, qHeads, qLen, kvLen]): after the softcap, after the bias, or the softmax. */
  capture?: { after: 'softcap' | 'bias' | 'softmax'; into: Float64Array };
}

/** Softmax of a row in place; a row with no finite score becomes zeros (never NaN). */
function softmaxRow(row: Float64Array): void {
  let max = -Infinity;
  for (const x of row) if (x > max) max = x;
  if (max === -Infinity) {
    row.fill(0);
    return;
  }
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += row[i] = Math.exp(row[i]! - max);
  for (let i = 0; i < row.length; i++) row[i]! /= sum;
}

/** The output, [batch, qHeads, qLen, vHeadSize]. */
export function attend(p: AttentionProblem): Float64Array {
  const { batch, qHeads, kvHeads, qLen, kvLen, headSize: h, vHeadSize: hv } = p;
  const out = new Float64Array(batch * qHeads * qLen * hv);
  const group = qHeads / kvHeads;
  const row = new Float64Array(kvLen);
  const cap = p.softcap && p.softcap > 0 ? p.softcap : 0;
  const capture = (after: string, at: number): void => {
    if (p.capture?.after === after) p.capture.into.set(row, at);
  };
  for (let b = 0; b < batch; b++) {
    for (let n = 0; n < qHeads; n++) {
      const kvHead = b * kvHeads + Math.floor(n / group);
      for (let s = 0; s < qLen; s++) {
        const qOff = ((b * qHeads + n) * qLen + s) * h;
        const rowAt = ((b * qHeads + n) * qLen + s) * kvLen;
        for (let l = 0; l < kvLen; l++) {
          const kOff = (kvHead * kvLen + l) * h;
          let dot = 0;
          for (let i = 0; i < h; i++) dot += p.q[qOff + i]! * p.k[kOff + i]!;
          row[l] = cap ? cap * Math.tanh((dot * p.scale) / cap) : dot * p.scale;
        }
        capture('softcap', rowAt);
        if (p.bias) for (let l = 0; l < kvLen; l++) row[l]! += p.bias(b, n, s, l);
        capture('bias', rowAt);
        softmaxRow(row);
        capture('softmax', rowAt);
        const oOff = ((b * qHeads + n) * qLen + s) * hv;
        for (let l = 0; l < kvLen; l++) {
          const w = row[l]!;
          if (w === 0) continue;
          const vOff = (kvHead * kvLen + l) * hv;
          for (let i = 0; i < hv; i++) out[oOff + i]! += w * p.v[vOff + i]!;
        }
      }
    }
  }
  return out;
}

/** [batch, seq, heads, size] (the 3-D [batch, seq, heads*size] layout) to [batch, heads, seq, size]. */
export function toHeadsFirst(x: ArrayLike<number>, batch: number, seq: number, heads: number, size: number, stride = heads * size, offset = 0): Float64Array {
  const out = new Float64Array(batch * heads * seq * size);
  for (let b = 0; b < batch; b++) {
    for (let s = 0; s < seq; s++) {
      for (let n = 0; n < heads; n++) {
        const src = (b * seq + s) * stride + offset + n * size;
        const dst = ((b * heads + n) * seq + s) * size;
        for (let i = 0; i < size; i++) out[dst + i] = x[src + i]!;
      }
    }
  }
  return out;
}

/** [batch, heads, seq, size] back to [batch, seq, heads*size]. */
export function toSequenceFirst(x: ArrayLike<number>, batch: number, heads: number, seq: number, size: number): Float64Array {
  const out = new Float64Array(batch * heads * seq * size);
  for (let b = 0; b < batch; b++) {
    for (let n = 0; n < heads; n++) {
      for (let s = 0; s < seq; s++) {
        const src = ((b * heads + n) * seq + s) * size;
        const dst = ((b * seq + s) * heads + n) * size;
        for (let i = 0; i < size; i++) out[dst + i] = x[src + i]!;
      }
    }
  }
  return out;
}

/** Past and new [batch, heads, len, size] arrays joined along len (the present key/value cache). */
export function concatSequence(past: ArrayLike<number> | undefined, pastLen: number, cur: ArrayLike<number>, curLen: number, batch: number, heads: number, size: number): Float64Array {
  const total = pastLen + curLen;
  const out = new Float64Array(batch * heads * total * size);
  for (let bn = 0; bn < batch * heads; bn++) {
    for (let i = 0; i < pastLen * size; i++) out[bn * total * size + i] = past![bn * pastLen * size + i]!;
    for (let i = 0; i < curLen * size; i++) out[(bn * total + pastLen) * size + i] = cur[bn * curLen * size + i]!;
  }
  return out;
}

/** Where rotary embedding finds a token's angle: its position (from position_ids) or the row of a per-token cache. */
export interface RotaryInput {
  batch: number;
  seq: number;
  heads: number;
  headSize: number;
  /** true: [batch, heads, seq, headSize]; false: [batch, seq, heads*headSize]. */
  headsFirst: boolean;
  rotaryDim: number;
  interleaved: boolean;
  /** cos and sin of angle i (< rotaryDim/2) for token (b, s). */
  cos: (b: number, s: number, i: number) => number;
  sin: (b: number, s: number, i: number) => number;
}

/**
 * Rotates pairs of the first rotaryDim features of every head in place: (x[i], x[i + d/2]) by default, (x[2i], x[2i+1])
 * when interleaved (ONNX RotaryEmbedding, onnxruntime ContribOperators.md RotaryEmbedding).
 */
export function rotate(x: Float64Array, r: RotaryInput): void {
  const half = r.rotaryDim / 2;
  for (let b = 0; b < r.batch; b++) {
    for (let n = 0; n < r.heads; n++) {
      for (let s = 0; s < r.seq; s++) {
        const base = r.headsFirst ? ((b * r.heads + n) * r.seq + s) * r.headSize : ((b * r.seq + s) * r.heads + n) * r.headSize;
        for (let i = 0; i < half; i++) {
          const [i1, i2] = r.interleaved ? [base + 2 * i, base + 2 * i + 1] : [base + i, base + i + half];
          const c = r.cos(b, s, i);
          const sn = r.sin(b, s, i);
          const x1 = x[i1]!;
          const x2 = x[i2]!;
          x[i1] = x1 * c - x2 * sn;
          x[i2] = x2 * c + x1 * sn;
        }
      }
    }
  }
}
