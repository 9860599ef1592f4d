import { describe, expect, it } from 'vitest';
import { buildOpTest, parseJsonc, tensorFromJson, type OpTestJson } from './ort-web-ops.js';

describe('parseJsonc', () => {
  it('drops comments and trailing commas but keeps // and /* inside strings', () => {
    const text = '[ // tests\n { "name": "a // b", /* note */ "x": "/* y */", "list": [1, 2,], },\n]';
    expect(parseJsonc(text, 't.jsonc')).toEqual([{ name: 'a // b', x: '/* y */', list: [1, 2] }]);
  });

  it('names the file when the JSON is broken', () => {
    expect(() => parseJsonc('[{]', 'bad.jsonc')).toThrow(/^bad\.jsonc is not valid JSONC/);
  });
});

describe('buildOpTest', () => {
  const test: OpTestJson = {
    name: 'Pad float16',
    operator: 'Pad',
    opset: { domain: '', version: 19 },
    attributes: [{ name: 'mode', data: 'constant', type: 'string' }, { name: 'pads', data: [1, 1], type: 'ints' }],
    inputShapeDefinitions: 'rankOnly',
    cases: [{
      name: 'c',
      inputs: [{ data: [1, 2.5], dims: [2], type: 'float16' }, { data: null, type: 'int64' }],
      outputs: [{ data: [0, 1, 2.5, 0], dims: [4], type: 'float16' }],
    }],
  };

  it('makes a one-node model named by position, an omitted input left empty', () => {
    const { model, dataSets } = buildOpTest(test, test.cases[0]!, 'cpu');
    expect(model.opsets).toEqual(new Map([['', 19]]));
    expect(model.graph.nodes).toEqual([{
      name: 'Pad', opType: 'Pad', domain: '', inputs: ['input_0', ''], outputs: ['output_0'],
      attributes: new Map<string, unknown>([['mode', { type: 'string', value: 'constant' }], ['pads', { type: 'ints', value: [1, 1] }]]),
    }]);
    expect(model.graph.inputs).toEqual([{ name: 'input_0', type: { kind: 'tensor', dtype: 'float16', shape: ['_input_0_d0'] } }]);
    // 1.0 and 2.5 as IEEE half bits
    expect(dataSets[0]!.feeds.get('input_0')).toMatchObject({ dtype: 'float16', shape: [2], data: Uint16Array.from([0x3c00, 0x4100]) });
  });

  it('defaults to ai.onnx opset 18 as onnxruntime-web does', () => {
    const { model } = buildOpTest({ ...test, opset: undefined }, test.cases[0]!, 'cpu');
    expect(model.opsets).toEqual(new Map([['', 18]]));
  });
});

describe('tensorFromJson', () => {
  it('stores int64 as BigInt and bools as 0/1', () => {
    expect(tensorFromJson({ type: 'int64', data: [-3, 4], dims: [2] }, 'x').data).toEqual(BigInt64Array.from([-3n, 4n]));
    expect(tensorFromJson({ type: 'bool', data: [true, false], dims: [2] }, 'x').data).toEqual(Uint8Array.from([1, 0]));
  });

  it('rejects dims that do not fit the data', () => {
    expect(() => tensorFromJson({ type: 'float32', data: [1, 2, 3], dims: [2] }, 'case 1 input 0')).toThrow('case 1 input 0: dims [2] do not fit 3 values');
  });
});
