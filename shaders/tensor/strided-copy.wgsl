// y[dst] = x[src] over an index box: src and dst are offsets plus a stride per box dim (negative for a reversed
// Slice, 0 for Expand). 32-bit words of any dtype: Transpose, Slice, Concat, Split and Expand are all this copy.
struct Params {
  n: vec4<u32>,
  offsets: vec4<i32>,
  shape: array<vec4<u32>, 2>,
  src_strides: array<vec4<i32>, 2>,
  dst_strides: array<vec4<i32>, 2>,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> x: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= u.n.x) { return; }
  var src = u.offsets.x;
  var dst = u.offsets.y;
  var rem = i;
  for (var d = i32(u.n.y) - 1; d >= 0; d--) {
    let k = u32(d);
    let dim = u.shape[k / 4u][k % 4u];
    let c = i32(rem % dim);
    rem = rem / dim;
    src += c * u.src_strides[k / 4u][k % 4u];
    dst += c * u.dst_strides[k / 4u][k % 4u];
  }
  y[u32(dst)] = x[u32(src)];
}
