// Conv one output element a thread, for few input channels a group (depthwise above all), where a GEMM tile
// would be mostly empty. Same parameters as conv.wgsl; dims = (M per group, positions, K, has_bias).
{{conv/params}}

{{elementwise/math}}
{{EPILOGUE}}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.x + gid.y * nwg.x * 64u;
  let P = u.dims.y;
  let out_channels = u.strides.w;
  let batch = u.pads.w;
  if (i >= P * out_channels * u32(batch)) { return; }
  let p = i % P;
  let oc = (i / P) % out_channels;
  let n = i / (P * out_channels);
  let group_channels = u.kernel.w;
  let g = oc / u.dims.x;
  let ow = p % u.grid.z;
  let oh = (p / u.grid.z) % u.grid.y;
  let od = p / (u.grid.z * u.grid.y);
  let d0 = i32(od * u.strides.x) - u.pads.x;
  let h0 = i32(oh * u.strides.y) - u.pads.y;
  let w0 = i32(ow * u.strides.z) - u.pads.z;
  let taps = u.dilations.w;
  var acc = 0.0;
  if (u.dims.w == 1u) { acc = bias[oc]; }
  for (var ic = 0u; ic < group_channels; ic++) {
    let plane = (n * u.image.w + g * group_channels + ic) * u.image.x;
    let wbase = (oc * group_channels + ic) * taps;
    for (var kd = 0u; kd < u.kernel.x; kd++) {
      let id = d0 + i32(kd * u.dilations.x);
      if (id < 0 || u32(id) >= u.image.x) { continue; }
      for (var kh = 0u; kh < u.kernel.y; kh++) {
        let ih = h0 + i32(kh * u.dilations.y);
        if (ih < 0 || u32(ih) >= u.image.y) { continue; }
        let row = ((plane + u32(id)) * u.image.y + u32(ih)) * u.image.z;
        let wrow = wbase + (kd * u.kernel.y + kh) * u.kernel.z;
        for (var kw = 0u; kw < u.kernel.z; kw++) {
          let iw = w0 + i32(kw * u.dilations.z);
          if (iw < 0 || u32(iw) >= u.image.z) { continue; }
          acc += w[wrow + kw] * x[row + u32(iw)];
        }
      }
    }
  }
  y[i] = epilogue(acc, u.act);
}
