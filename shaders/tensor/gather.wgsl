// ONNX Gather: y[outer, j, r] = x[outer, idx[j], r]; indices arrive non-negative and in range (checked on the host).
// n = (count, index count, axis dim, inner size).
struct Params {
  n: vec4<u32>,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read> idx: array<i32>;
@group(0) @binding(3) var<storage, read_write> y: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= u.n.x) { return; }
  let inner = u.n.w;
  let r = i % inner;
  let j = (i / inner) % u.n.y;
  let outer = i / (inner * u.n.y);
  y[i] = x[(outer * u.n.z + u32(idx[j])) * inner + r];
}
