// ConvTranspose, 1-3 spatial dims (padded to 3 with size-1 dims), groups, strides, dilations, pads,
// output_padding: a thread an output element gathers the input positions that scatter into it (o + pad - k·dil
// a multiple of the stride, inside the input), then bias and the fused epilogue.
struct Params {
  act: vec4<f32>,
  // batch, input channels, output channels, group
  nc: vec4<u32>,
  // elements, output channels a group, input channels a group, has bias
  sizes: vec4<u32>,
  in_shape: vec4<u32>,
  out_shape: vec4<u32>,
  kernel: vec4<u32>,
  strides: vec4<u32>,
  dilations: vec4<u32>,
  pads: vec4<u32>,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

{{elementwise/math}}
{{EPILOGUE}}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= u.sizes.x) { return; }
  let O = u.out_shape;
  let I = u.in_shape;
  let K = u.kernel;
  var rem = i;
  let o2 = rem % O.z; rem /= O.z;
  let o1 = rem % O.y; rem /= O.y;
  let o0 = rem % O.x; rem /= O.x;
  let m = rem % u.nc.z;
  let b = rem / u.nc.z;
  let mg = u.sizes.y;
  let cg = u.sizes.z;
  let gi = m / mg;
  let om = m % mg;
  let o = vec3<i32>(i32(o0), i32(o1), i32(o2));
  let pads = vec3<i32>(u.pads.xyz);
  let dil = vec3<i32>(u.dilations.xyz);
  let st = vec3<i32>(u.strides.xyz);
  let ins = vec3<i32>(I.xyz);
  let plane = I.x * I.y * I.z;
  let taps = K.x * K.y * K.z;
  var acc = 0.0;
  for (var k0 = 0u; k0 < K.x; k0++) {
    let p0 = o.x + pads.x - i32(k0) * dil.x;
    if (p0 < 0 || p0 % st.x != 0 || p0 / st.x >= ins.x) { continue; }
    for (var k1 = 0u; k1 < K.y; k1++) {
      let p1 = o.y + pads.y - i32(k1) * dil.y;
      if (p1 < 0 || p1 % st.y != 0 || p1 / st.y >= ins.y) { continue; }
      for (var k2 = 0u; k2 < K.z; k2++) {
        let p2 = o.z + pads.z - i32(k2) * dil.z;
        if (p2 < 0 || p2 % st.z != 0 || p2 / st.z >= ins.z) { continue; }
        let pos = (u32(p0 / st.x) * I.y + u32(p1 / st.y)) * I.z + u32(p2 / st.z);
        let tap = (k0 * K.y + k1) * K.z + k2;
        for (var c = 0u; c < cg; c++) {
          let ic = gi * cg + c;
          acc += x[(b * u.nc.y + ic) * plane + pos] * w[(ic * mg + om) * taps + tap];
        }
      }
    }
  }
  if (u.sizes.w == 1u) { acc += bias[m]; }
  y[i] = epilogue(acc, u.act);
}
