// Conv as an implicit GEMM per (batch, group): Y[m, p] = W[m, k] x X_col[k, p] with k = (input channel, tap) and
// p the output position; X_col is never built, its tile is gathered from the image (zeros in the padding). Same
// 64x64 tiling and 4x4 register blocks as matmul.wgsl; 1-D and 2-D convs are 3-D ones with unit leading dims.
{{conv/params}}

{{elementwise/math}}
{{EPILOGUE}}

var<workgroup> a_tile: array<vec4<f32>, 256>;
var<workgroup> b_tile: array<vec4<f32>, 256>;

// The image value tap k of output position p sees, in channel plane `plane` (0 in the padding).
fn image_at(plane: u32, k: u32, p: u32) -> f32 {
  let taps = u.dilations.w;
  let ic = k / taps;
  let tap = k % taps;
  let kw = tap % u.kernel.z;
  let kh = (tap / u.kernel.z) % u.kernel.y;
  let kd = tap / (u.kernel.z * u.kernel.y);
  let ow = p % u.grid.z;
  let oh = (p / u.grid.z) % u.grid.y;
  let od = p / (u.grid.z * u.grid.y);
  let id = i32(od * u.strides.x + kd * u.dilations.x) - u.pads.x;
  let ih = i32(oh * u.strides.y + kh * u.dilations.y) - u.pads.y;
  let iw = i32(ow * u.strides.z + kw * u.dilations.z) - u.pads.z;
  if (id < 0 || ih < 0 || iw < 0 || u32(id) >= u.image.x || u32(ih) >= u.image.y || u32(iw) >= u.image.z) { return 0.0; }
  return x[(((plane + ic) * u.image.x + u32(id)) * u.image.y + u32(ih)) * u.image.z + u32(iw)];
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let M = u.dims.x;
  let N = u.dims.y;
  let K = u.dims.z;
  let groups = u.grid.w;
  let out_channels = u.strides.w;
  let group_channels = u.kernel.w;
  let n = wg.z / groups;
  let g = wg.z % groups;
  let plane = n * u.image.w + g * group_channels;
  let row0 = wg.y * 64u;
  let col0 = wg.x * 64u;
  let m_base = g * M;
  var acc: array<vec4<f32>, 4>;
  for (var k0 = 0u; k0 < K; k0 += 16u) {
    for (var e = 0u; e < 4u; e++) {
      let flat = li + e * 256u;
      let kk = flat % 16u;
      let mm = flat / 16u;
      let gm = row0 + mm;
      let gk = k0 + kk;
      var v = 0.0;
      if (gm < M && gk < K) { v = w[(m_base + gm) * K + gk]; }
      a_tile[kk * 16u + mm / 4u][mm % 4u] = v;
      let nn = flat % 64u;
      let kb = flat / 64u;
      let gn = col0 + nn;
      let gkb = k0 + kb;
      var t = 0.0;
      if (gn < N && gkb < K) { t = image_at(plane, gkb, gn); }
      b_tile[kb * 16u + nn / 4u][nn % 4u] = t;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) {
      let av = a_tile[kk * 16u + lid.y];
      let bv = b_tile[kk * 16u + lid.x];
      acc[0] += av.x * bv;
      acc[1] += av.y * bv;
      acc[2] += av.z * bv;
      acc[3] += av.w * bv;
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let gm = row0 + lid.y * 4u + i;
    if (gm >= M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let gn = col0 + lid.x * 4u + j;
      if (gn >= N) { continue; }
      var v = acc[i][j];
      if (u.dims.w == 1u) { v += bias[m_base + gm]; }
      y[(n * out_channels + m_base + gm) * N + gn] = epilogue(v, u.act);
    }
  }
}
