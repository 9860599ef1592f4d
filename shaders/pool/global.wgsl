// GlobalAveragePool / GlobalMaxPool: one workgroup a (batch, channel) plane, a tree reduction in workgroup memory.
// n = (planes, plane size, mode: 0 average, 1 max).
struct Params {
  n: vec4<u32>,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

var<workgroup> part: array<f32, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let plane = wg.x + wg.y * nwg.x;
  let size = u.n.y;
  let is_max = u.n.z == 1u;
  let base = plane * size;
  var acc = 0.0;
  if (is_max) { acc = -3.4028234663852886e38; }
  if (plane < u.n.x) {
    for (var k = li; k < size; k += 64u) {
      let v = x[base + k];
      acc = select(acc + v, max(acc, v), is_max);
    }
  }
  part[li] = acc;
  workgroupBarrier();
  for (var s = 32u; s > 0u; s = s / 2u) {
    if (li < s) { part[li] = select(part[li] + part[li + s], max(part[li], part[li + s]), is_max); }
    workgroupBarrier();
  }
  if (li == 0u && plane < u.n.x) { y[plane] = select(part[0] / f32(size), part[0], is_max); }
}
