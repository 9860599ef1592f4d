// The recurrence of ONNX RNN / GRU / LSTM after the input projection (proj = X · Wᵀ, one GEMM for every step).
// A workgroup of 64 threads serves one (direction, batch row) and blocks of 64 hidden units, a unit a thread:
// the previous h is staged in workgroup memory (1024 values at a time), each thread takes the dot products of
// its unit's gate rows of R with it, then combines the gates (bias, peepholes, clip, activations). R comes
// transposed ([d][k][gate row]), so neighbouring threads read neighbouring words. A thread owning its unit's
// gates keeps the barriers to the staging ones (SwiftShader runs a barrier as a switch between every group of
// invocations: few is fast).
// Persistent mode: one workgroup walks every block and every step, with a storage barrier between steps. Per-step
// mode: one dispatch a step (two for GRU without linear_before_reset), a workgroup a block.
// h before a step is read from Y at the previous step (or initial_h); c lives in yc, updated in place by its
// unit's thread. GRU has no Y_c: yc is its scratch for z and r ⊙ h (phase A) before the candidate (phase B).
struct Params {
  // seq, batch, hidden, gates
  dims: vec4<u32>,
  // layout, flags, direction (0 forward, 1 reverse, 2 bidirectional), unused
  cfg: vec4<u32>,
  // first step, steps, blocks a workgroup, phases (1 A, 2 B)
  run: vec4<u32>,
  // word offsets in aux: bias, initial_h, initial_c, peepholes
  offs: vec4<u32>,
  // aux offset of sequence_lens, directions, phase B's first and last gate row (+1)
  more: vec4<u32>,
  // clip threshold
  clip: vec4<f32>,
}

const HAS_BIAS = 1u;
const HAS_H0 = 2u;
const HAS_C0 = 4u;
const HAS_PEEP = 8u;
const HAS_LENS = 16u;
const HAS_CLIP = 32u;
const INPUT_FORGET = 64u;
const LINEAR_BEFORE_RESET = 128u;

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> proj: array<f32>;
@group(0) @binding(2) var<storage, read> rt: array<f32>;
@group(0) @binding(3) var<storage, read> aux: array<u32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> yh: array<f32>;
@group(0) @binding(6) var<storage, read_write> yc: array<f32>;

{{elementwise/math}}
{{ACTS}}

const CHUNK = 1024u;
// 0 RNN, 1 GRU, 2 LSTM: a constant, so the other cells' code folds away before the compiler sees it.
const KIND = {{KIND}}u;
// GRU without linear_before_reset: r ⊙ h (phase A) before the candidate's recurrence (phase B).
const TWO_PHASE = {{TWO_PHASE}};

// CHUNK values of the vector R multiplies (h, or r ⊙ h).
var<workgroup> h_sh: array<f32, 1024>;

fn has(flag: u32) -> bool {
  return (u.cfg.y & flag) != 0u;
}

fn auxf(i: u32) -> f32 {
  return bitcast<f32>(aux[i]);
}

fn clipped(v: f32) -> f32 {
  if (has(HAS_CLIP)) { return clamp(v, -u.clip.x, u.clip.x); }
  return v;
}

// Word index of (t, d, b, unit 0) in Y.
fn y_at(t: u32, d: u32, b: u32) -> u32 {
  let seq = u.dims.x;
  let batch = u.dims.y;
  let dirs = u.more.y;
  if (u.cfg.x == 1u) { return ((b * seq + t) * dirs + d) * u.dims.z; }
  return ((t * dirs + d) * batch + b) * u.dims.z;
}

// Word index of (d, b, unit 0) in Y_h, Y_c and the initial states.
fn state_at(d: u32, b: u32) -> u32 {
  if (u.cfg.x == 1u) { return (b * u.more.y + d) * u.dims.z; }
  return (d * u.dims.y + b) * u.dims.z;
}

// Values [base, base + n) of the vector R multiplies into h_sh: src 0 from Y, 1 from aux (initial_h), 2 from yc
// (r ⊙ h); zeros where there is no initial_h. Called by every thread, between barriers.
fn stage(li: u32, src: u32, base: u32, n: u32, zero: bool) {
  for (var i = li; i < n; i += 64u) {
    var v = 0.0;
    if (!zero) {
      if (src == 0u) { v = y[base + i]; } else if (src == 1u) { v = auxf(base + i); } else { v = yc[base + i]; }
    }
    h_sh[i] = v;
  }
}

// acc[g] += R[d][g·H + j][c0 .. c0 + n) · the staged chunk, for the gates g in [lo, hi).
fn pre(d: u32, j: u32, lo: u32, hi: u32, c0: u32, n: u32, acc: vec4<f32>) -> vec4<f32> {
  let H = u.dims.z;
  let GH = u.dims.w * H;
  var r = (d * H + c0) * GH + j;
  var out = acc;
  if (lo == 0u && hi == 4u) {
    // LSTM: the four gates of one k side by side.
    for (var q = 0u; q < n; q++) {
      let h = h_sh[q];
      out += vec4<f32>(rt[r], rt[r + H], rt[r + 2u * H], rt[r + 3u * H]) * h;
      r += GH;
    }
    return out;
  }
  for (var g = lo; g < hi; g++) {
    var a = 0.0;
    var rg = r + g * H;
    for (var q = 0u; q < n; q++) { a += rt[rg] * h_sh[q]; rg += GH; }
    out[g] += a;
  }
  return out;
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let seq = u.dims.x;
  let batch = u.dims.y;
  let H = u.dims.z;
  let G = u.dims.w;
  let GH = G * H;
  let dirs = u.more.y;
  let kind = KIND;
  let d = wg.y;
  let b = wg.z;
  let reverse = u.cfg.z == 1u || d == 1u;
  var len = seq;
  if (has(HAS_LENS)) { len = u32(clamp(bitcast<i32>(aux[u.more.x + b]), 0, i32(seq))); }
  let blocks = (H + 63u) / 64u;
  let blk0 = wg.x * u.run.z;
  let blk1 = min(blk0 + u.run.z, blocks);
  let s_base = state_at(d, b);
  let scratch = (d * batch + b) * H;
  let rows = (d * seq * batch) * GH;
  let chunks = (H + CHUNK - 1u) / CHUNK;

  // Before the first step: Y past this row's length is zero, and a row with no steps keeps its initial states.
  if (u.run.x == 0u) {
    for (var blk = blk0; blk < blk1; blk++) {
      let j = blk * 64u + li;
      if (j >= H) { continue; }
      for (var t = len; t < seq; t++) { y[y_at(t, d, b) + j] = 0.0; }
      if (len == 0u) {
        yh[s_base + j] = select(0.0, auxf(u.offs.y + s_base + j), has(HAS_H0));
        if (kind == 2u) { yc[s_base + j] = select(0.0, auxf(u.offs.z + s_base + j), has(HAS_C0)); }
      }
    }
  }

  for (var s = 0u; s < u.run.y; s++) {
    let k = u.run.x + s;
    let live = k < len;
    var t = k;
    var tp = k - 1u;
    if (reverse) { t = len - 1u - k; tp = t + 1u; }
    // Where h before this step comes from: none (zeros), initial_h, or Y at the previous step.
    var h_src = 0u;
    var h_base = 0u;
    var h_zero = false;
    if (k == 0u) {
      h_src = 1u;
      h_base = u.offs.y + s_base;
      h_zero = !has(HAS_H0);
    } else {
      h_base = y_at(tp, d, b);
    }
    let y_t = y_at(t, d, b);
    let row = select(t * batch + b, b * seq + t, u.cfg.x == 1u);
    let x_base = rows + row * GH;
    let bb = u.offs.x + d * 2u * GH;

    // Phase A (GRU without linear_before_reset): z and r, then r ⊙ h for the candidate's recurrence.
    if (TWO_PHASE && (u.run.w & 1u) != 0u) {
      for (var blk = blk0; blk < blk1; blk++) {
        let j = blk * 64u + li;
        var acc = vec4<f32>(0.0);
        for (var c = 0u; c < chunks; c++) {
          let n = min(CHUNK, H - c * CHUNK);
          if (chunks > 1u || blk == blk0) {
            workgroupBarrier();
            stage(li, h_src, h_base + c * CHUNK, n, h_zero);
            workgroupBarrier();
          }
          if (live && j < H) { acc = pre(d, j, 0u, 2u, c * CHUNK, n, acc); }
        }
        if (live && j < H) {
          var xz = proj[x_base + j] + acc.x;
          var xr = proj[x_base + H + j] + acc.y;
          if (has(HAS_BIAS)) {
            xz += auxf(bb + j) + auxf(bb + GH + j);
            xr += auxf(bb + H + j) + auxf(bb + GH + H + j);
          }
          let z = act_f(d, clipped(xz));
          let r = act_f(d, clipped(xr));
          var hp = 0.0;
          if (!h_zero) {
            if (h_src == 1u) { hp = auxf(h_base + j); } else { hp = y[h_base + j]; }
          }
          yc[scratch + j] = z;
          yc[dirs * batch * H + scratch + j] = r * hp;
        }
      }
      storageBarrier();
    }

    if ((u.run.w & 2u) != 0u) {
      let two = TWO_PHASE;
      var src = h_src;
      var base = h_base;
      var zero = h_zero;
      if (two) {
        src = 2u;
        base = dirs * batch * H + scratch;
        zero = false;
      }
      for (var blk = blk0; blk < blk1; blk++) {
        let j = blk * 64u + li;
        var acc = vec4<f32>(0.0);
        for (var c = 0u; c < chunks; c++) {
          let n = min(CHUNK, H - c * CHUNK);
          if (chunks > 1u || blk == blk0) {
            workgroupBarrier();
            stage(li, src, base + c * CHUNK, n, zero);
            workgroupBarrier();
          }
          if (live && j < H) { acc = pre(d, j, u.more.z, u.more.w, c * CHUNK, n, acc); }
        }
        if (live && j < H) {
          var hp = 0.0;
          if (!h_zero) {
            if (h_src == 1u) { hp = auxf(h_base + j); } else { hp = y[h_base + j]; }
          }
          var h = 0.0;
          if (kind == 2u) {
            // LSTM gates i, o, f, c.
            var xg = vec4<f32>(proj[x_base + j], proj[x_base + H + j], proj[x_base + 2u * H + j], proj[x_base + 3u * H + j]) + acc;
            if (has(HAS_BIAS)) {
              xg += vec4<f32>(auxf(bb + j), auxf(bb + H + j), auxf(bb + 2u * H + j), auxf(bb + 3u * H + j));
              xg += vec4<f32>(auxf(bb + GH + j), auxf(bb + GH + H + j), auxf(bb + GH + 2u * H + j), auxf(bb + GH + 3u * H + j));
            }
            var cp = 0.0;
            if (k > 0u) { cp = yc[s_base + j]; } else if (has(HAS_C0)) { cp = auxf(u.offs.z + s_base + j); }
            var peep = vec3<f32>(0.0);
            if (has(HAS_PEEP)) {
              let pb = u.offs.w + d * 3u * H + j;
              peep = vec3<f32>(auxf(pb), auxf(pb + H), auxf(pb + 2u * H));
            }
            let f = act_f(d, clipped(xg.z + peep.z * cp));
            var i = 1.0 - f;
            if (!has(INPUT_FORGET)) { i = act_f(d, clipped(xg.x + peep.x * cp)); }
            let cell = act_g(d, clipped(xg.w));
            let cn = f * cp + i * cell;
            let o = act_f(d, clipped(xg.y + peep.y * cn));
            h = o * act_h(d, cn);
            yc[s_base + j] = cn;
          } else if (kind == 1u) {
            // GRU gates z, r, h.
            var xh = proj[x_base + 2u * H + j];
            var rbh = 0.0;
            if (has(HAS_BIAS)) {
              xh += auxf(bb + 2u * H + j);
              rbh = auxf(bb + GH + 2u * H + j);
            }
            var z = 0.0;
            var cand = 0.0;
            if (two) {
              z = yc[scratch + j];
              cand = act_g(d, clipped(xh + acc.z + rbh));
            } else {
              var xz = proj[x_base + j] + acc.x;
              var xr = proj[x_base + H + j] + acc.y;
              if (has(HAS_BIAS)) {
                xz += auxf(bb + j) + auxf(bb + GH + j);
                xr += auxf(bb + H + j) + auxf(bb + GH + H + j);
              }
              z = act_f(d, clipped(xz));
              let r = act_f(d, clipped(xr));
              cand = act_g(d, clipped(xh + r * (acc.z + rbh)));
            }
            h = (1.0 - z) * cand + z * hp;
          } else {
            var x = proj[x_base + j] + acc.x;
            if (has(HAS_BIAS)) { x += auxf(bb + j) + auxf(bb + GH + j); }
            h = act_f(d, clipped(x));
          }
          y[y_t + j] = h;
          if (k + 1u == len) { yh[s_base + j] = h; }
        }
      }
    }
    storageBarrier();
  }
}
