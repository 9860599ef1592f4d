// LayerNormalization: one workgroup a row of `len` contiguous elements; scale and bias hold `len` values
// (n.z = 1 when there is a bias). n = (rows, len, has bias); eps in f.x. Each row's mean and 1/stddev are
// written too (the op's optional outputs; dropped when the graph does not name them).
struct Params {
  n: vec4<u32>,
  f: vec4<f32>,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> scale: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> row_mean: array<f32>;
@group(0) @binding(6) var<storage, read_write> row_inv_std: array<f32>;

var<workgroup> part: array<f32, 64>;

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
  let base = row * len;
  var total = 0.0;
  if (live) {
    for (var k = li; k < len; k += 64u) { total += x[base + k]; }
  }
  part[li] = total;
  workgroupBarrier();
  let mean = reduce_sum(li) / f32(len);
  workgroupBarrier();
  var squares = 0.0;
  if (live) {
    for (var k = li; k < len; k += 64u) {
      let d = x[base + k] - mean;
      squares += d * d;
    }
  }
  part[li] = squares;
  workgroupBarrier();
  let inv_std = inverseSqrt(reduce_sum(li) / f32(len) + u.f.x);
  if (!live) { return; }
  if (li == 0u) {
    row_mean[row] = mean;
    row_inv_std[row] = inv_std;
  }
  for (var k = li; k < len; k += 64u) {
    var v = (x[base + k] - mean) * inv_std * scale[k];
    if (u.n.z == 1u) { v += bias[k]; }
    y[base + k] = v;
  }
}
