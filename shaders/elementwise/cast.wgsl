// Cast between 32-bit words: n.y is the source kind (0 f32, 1 i32, 2 u32 / bool / uint8), n.z the target
// (0 f32, 1 bool as 0 / 1, 2 i32). Float to i32 truncates toward zero; NaN and values out of range give
// -2^31, as the reference (onnxruntime on x86-64) does. Integer words to i32 keep their bits (low 32 bits).
struct Params {
  n: vec4<u32>,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= u.n.x) { return; }
  let w = x[i];
  if (u.n.z == 2u) {
    if (u.n.y != 0u) { y[i] = w; return; }
    let f = bitcast<f32>(w);
    let t = select(i32(-2147483647 - 1), i32(f), f >= -2147483648.0 && f < 2147483648.0);
    y[i] = bitcast<u32>(t);
    return;
  }
  var v: f32;
  switch u.n.y {
    case 1u: { v = f32(bitcast<i32>(w)); }
    case 2u: { v = f32(w); }
    default: { v = bitcast<f32>(w); }
  }
  if (u.n.z == 1u) {
    y[i] = select(0u, 1u, v != 0.0);
  } else {
    y[i] = bitcast<u32>(v);
  }
}
