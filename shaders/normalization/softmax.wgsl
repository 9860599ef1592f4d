// Softmax / LogSoftmax along one axis: one workgroup a row of `len` elements `inner` apart (rows are the
// (outer, inner) pairs). n = (rows, len, inner, log: 1 for LogSoftmax).
struct Params {
  n: vec4<u32>,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

var<workgroup> part: array<f32, 64>;

fn reduce_max(li: u32) -> f32 {
  for (var s = 32u; s > 0u; s = s / 2u) {
    if (li < s) { part[li] = max(part[li], part[li + s]); }
    workgroupBarrier();
  }
  return part[0];
}

fn reduce_sum(li: u32) -> f32 {
  for (var s = 32u; s > 0u; s = s / 2u) {
    if (li < s) { part[li] = part[li] + part[li + s]; }
    workgroupBarrier();
  }
  return part[0];
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = wg.x + wg.y * nwg.x;
  let live = row < u.n.x;
  let len = u.n.y;
  let inner = u.n.z;
  let base = (row / inner) * len * inner + row % inner;
  var peak = -3.4028234663852886e38;
  if (live) {
    for (var k = li; k < len; k += 64u) { peak = max(peak, x[base + k * inner]); }
  }
  part[li] = peak;
  workgroupBarrier();
  let row_max = reduce_max(li);
  workgroupBarrier();
  var total = 0.0;
  if (live) {
    for (var k = li; k < len; k += 64u) { total += exp(x[base + k * inner] - row_max); }
  }
  part[li] = total;
  workgroupBarrier();
  let sum = reduce_sum(li);
  if (!live) { return; }
  for (var k = li; k < len; k += 64u) {
    let at = base + k * inner;
    let shifted = x[at] - row_max;
    y[at] = select(exp(shifted) / sum, shifted - log(sum), u.n.w == 1u);
  }
}
