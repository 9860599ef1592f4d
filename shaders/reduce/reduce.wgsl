// ONNX Reduce* one output a thread: the output's coordinates pick a base in x (kept dims' strides), the thread
// walks every reduced coordinate (reduced dims' strides). n = (count, kept rank, reduced rank, reduced count);
// mode.x: 0 sum, 1 mean, 2 max, 3 min, 4 prod, 5 sum of squares, 6 L1, 7 L2, 8 log-sum, 9 log-sum-exp.
struct Params {
  n: vec4<u32>,
  mode: vec4<u32>,
  kept_shape: array<vec4<u32>, 2>,
  kept_strides: array<vec4<u32>, 2>,
  red_shape: array<vec4<u32>, 2>,
  red_strides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn reduced_offset(r: u32) -> u32 {
  var rem = r;
  var off = 0u;
  for (var d = i32(u.n.z) - 1; d >= 0; d--) {
    let k = u32(d);
    let dim = u.red_shape[k / 4u][k % 4u];
    off += (rem % dim) * u.red_strides[k / 4u][k % 4u];
    rem = rem / dim;
  }
  return off;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= u.n.x) { return; }
  var rem = i;
  var base = 0u;
  for (var d = i32(u.n.y) - 1; d >= 0; d--) {
    let k = u32(d);
    let dim = u.kept_shape[k / 4u][k % 4u];
    base += (rem % dim) * u.kept_strides[k / 4u][k % 4u];
    rem = rem / dim;
  }
  let mode = u.mode.x;
  // WGSL has no infinity constant: the host passes the bits of -inf and +inf (ReduceMax of nothing is -inf).
  let NEG_INF = bitcast<f32>(u.mode.y);
  let POS_INF = bitcast<f32>(u.mode.z);
  var peak = NEG_INF;
  if (mode == 9u) {
    for (var r = 0u; r < u.n.w; r++) { peak = max(peak, x[base + reduced_offset(r)]); }
  }
  var acc = 0.0;
  if (mode == 2u) { acc = NEG_INF; }
  if (mode == 3u) { acc = POS_INF; }
  if (mode == 4u) { acc = 1.0; }
  for (var r = 0u; r < u.n.w; r++) {
    let v = x[base + reduced_offset(r)];
    switch mode {
      case 2u: { acc = max(acc, v); }
      case 3u: { acc = min(acc, v); }
      case 4u: { acc = acc * v; }
      case 5u, 7u: { acc += v * v; }
      case 6u: { acc += abs(v); }
      case 9u: { acc += exp(v - peak); }
      default: { acc += v; }
    }
  }
  switch mode {
    case 1u: { acc = acc / f32(u.n.w); }
    case 7u: { acc = sqrt(acc); }
    case 8u: { acc = select(log(acc), NEG_INF, acc == 0.0); }
    case 9u: { acc = select(log(acc) + peak, NEG_INF, u.n.w == 0u); }
    default: {}
  }
  y[i] = acc;
}
