import { describe, expect, it } from 'vitest';
import { chooseBackend } from './index.js';
import { findGpu, softwareAdapter } from './webgpu/gpu-source.js';

const adapter = (info: object) => ({ info }) as unknown as GPUAdapter;

describe("'auto' and software WebGPU adapters", () => {
  it('names SwiftShader, lavapipe and a fallback adapter as software, and a real GPU as none', () => {
    expect(softwareAdapter(adapter({ vendor: 'google', architecture: 'swiftshader', device: '', description: '' }))).toBe('swiftshader');
    expect(softwareAdapter(adapter({ vendor: 'mesa', architecture: '', device: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }))).toBe('llvmpipe');
    expect(softwareAdapter(adapter({ vendor: '', architecture: '', device: '', description: '', isFallbackAdapter: true }))).toBe('a fallback adapter (no info)');
    expect(softwareAdapter(adapter({ vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H200' }))).toBeUndefined();
  });

  it('passes over a software-only WebGPU for wasm, while webgpu asked for by name still starts', async (ctx) => {
    const found = await findGpu();
    if (typeof found === 'string') ctx.skip(`no WebGPU adapter here: ${found}`);
    const software = softwareAdapter((found as { adapter: GPUAdapter }).adapter);
    if (!software) ctx.skip('this machine has a hardware GPU adapter, so auto rightly takes webgpu');
    expect((await chooseBackend('auto')).name).toBe('wasm');
    expect((await chooseBackend('webgpu')).name).toBe('webgpu');
  });
});
