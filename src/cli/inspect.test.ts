import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeOnnxModel } from '../formats/onnx/decode.js';
import { modelOf } from '../graph/passes/test-graphs.js';
import { sharedOrSkip, sharedPath } from '../testing/shared-fixtures.js';
import { inferredOutputLines } from './inspect.js';

describe('inspect: inferred output shapes', () => {
  it('prints each output with its symbols kept, ? for an unknown dim and a note for an unknown rank', () => {
    const model = modelOf({
      inputs: { x: ['float32', ['batch', 3, 'h', 8]], s: ['int64', [2]] },
      nodes: [
        { op: 'GlobalAveragePool', in: ['x'], out: ['pooled'] },
        { op: 'MaxPool', in: ['x'], out: ['window'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
        { op: 'Squeeze', in: ['x'], out: ['squeezed'] },
      ],
      outputs: ['pooled', 'window', 'squeezed'],
    });
    expect(inferredOutputLines(model)).toEqual([
      '  pooled: float32 [batch, 3, 1, 1]',
      '  window: float32 [batch, 3, ?, 4]',
      '  squeezed: float32 (rank unknown)',
    ]);
  });

  it.runIf(sharedOrSkip('bench models for inspect'))('mobilenet_v2 from the bench: [batch, 1000], the dim name its ONNX file gives', async () => {
    const model = await decodeOnnxModel(readFileSync(sharedPath('bench', 'mobilenet_v2', 'model.onnx')), { source: 'mobilenet_v2' });
    expect(model.graph.inputs[0]!.type?.shape).toEqual(['batch', 3, 224, 224]);
    expect(inferredOutputLines(model)).toEqual(['  out: float32 [batch, 1000]']);
  });
});
