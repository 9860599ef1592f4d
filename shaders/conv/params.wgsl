// The parameters and bindings conv.wgsl and direct.wgsl share (kernels/conv-webgpu.ts writes them once for both).
struct Params {
  act: vec4<f32>,
  dims: vec4<u32>,
  image: vec4<u32>,
  grid: vec4<u32>,
  kernel: vec4<u32>,
  strides: vec4<u32>,
  dilations: vec4<u32>,
  pads: vec4<i32>,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
