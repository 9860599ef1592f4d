import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../testing/shared-fixtures.js';
import { shaderSource, UniformWriter } from './shader-source.js';
import { WGSL } from './wgsl.generated.js';

describe('WGSL sources', () => {
  it('wgsl.generated.ts is in step with shaders/**/*.wgsl (npm run shaders regenerates it)', () => {
    expect(() => execFileSync(process.execPath, [join(repoRoot, 'shaders/generate.mjs'), '--check'], { stdio: 'pipe' })).not.toThrow();
    expect(Object.keys(WGSL)).toContain('matmul/matmul');
  });

  it('fills every slot of a template and refuses to leave one open', () => {
    const filled = shaderSource('elementwise/unary', { EXPR: 'v', EPILOGUE: 'fn epilogue(v: f32, act: vec4<f32>) -> f32 { return v; }' });
    expect(filled).not.toMatch(/\{\{/);
    expect(filled).toContain('fn erf_f32');
    expect(() => shaderSource('elementwise/unary', { EXPR: 'v' })).toThrowError(expect.objectContaining({ code: 'INFERENCE_FAILED', message: 'webgpu: shader elementwise/unary needs a fill for {{EPILOGUE}}' }));
  });

  it('includes a shader file where a template names it: both conv shaders take one Params block', () => {
    const epilogue = { EPILOGUE: 'fn epilogue(v: f32, act: vec4<f32>) -> f32 { return v; }' };
    for (const name of ['conv/conv', 'conv/direct'] as const) {
      const filled = shaderSource(name, epilogue);
      expect(filled).toContain(WGSL['conv/params'].slice(WGSL['conv/params'].indexOf('struct Params')));
      expect(filled).toContain('fn erf_f32');
      expect(filled).not.toMatch(/\{\{/);
    }
  });

  it('packs uniforms as vec4s: f32, u32, i32 and zero-padded dims', () => {
    const bytes = new UniformWriter().f32(1.5).u32(7, 8).i32(-2).dims8([3, 4, 5]).bytes();
    expect(bytes.byteLength).toBe(80);
    const view = new DataView(bytes.buffer);
    expect([view.getFloat32(0, true), view.getUint32(16, true), view.getUint32(20, true), view.getInt32(32, true), view.getUint32(48, true), view.getUint32(56, true), view.getUint32(60, true)]).toEqual([1.5, 7, 8, -2, 3, 5, 0]);
  });
});
