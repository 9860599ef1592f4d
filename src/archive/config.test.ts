import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { CONFIG_ERROR_PREFIX, parseNeuropodConfig, readNeuropodConfig } from './config.js';
import { zipPackage } from './zip-package.js';

/** Neuropod's VALID_SPEC (source/neuropod/internal/test/test_config_utils.cc); each case below edits it as that test does. */
const VALID_SPEC = `{
  "name": "addition_model",
  "platform": "tensorflow",
  "input_spec": [{ "dtype": "float32", "shape": [null, 2, "some_symbol"], "name": "x" }],
  "output_spec": [{ "dtype": "float32", "shape": [null, 2, "some_symbol"], "name": "y" }],
  "input_tensor_device": { "x": "GPU" }
}`;

const replace = (search: string, by: string): string => {
  expect(VALID_SPEC).toContain(search);
  return VALID_SPEC.replace(search, by);
};
const parse = (text: string) => parseNeuropodConfig(text, 'config.json in test.neuropod');
const rejects = (text: string, message: string) =>
  expect(() => parse(text)).toThrowError(expect.objectContaining({ code: 'CONFIG_INVALID', message: `${CONFIG_ERROR_PREFIX} ${message}` }));

describe('parseNeuropodConfig accepts what Neuropod accepts', () => {
  it('reads the valid spec with null, integer and symbol dims', () => {
    expect(parse(VALID_SPEC)).toEqual({
      name: 'addition_model',
      platform: 'tensorflow',
      platformVersionSemver: '*',
      inputSpec: [{ name: 'x', dtype: 'float32', shape: [null, 2, 'some_symbol'] }],
      outputSpec: [{ name: 'y', dtype: 'float32', shape: [null, 2, 'some_symbol'] }],
      customOps: [],
      inputTensorDevice: { x: 'GPU' },
    });
  });

  it('accepts device CPU (test_config_utils device_cpu)', () => {
    expect(parse(replace('"x": "GPU"', '"x": "CPU"')).inputTensorDevice).toEqual({ x: 'CPU' });
  });

  it('puts every input on the GPU when input_tensor_device is absent', () => {
    expect(parse(replace(',\n  "input_tensor_device": { "x": "GPU" }', '')).inputTensorDevice).toEqual({ x: 'GPU' });
  });

  it('keeps a valid platform_version_semver and custom_ops', () => {
    const c = parse(replace('"platform": "tensorflow",', '"platform": "tensorflow", "platform_version_semver": "~1.15.0", "custom_ops": ["addition_op.so"],'));
    expect(c.platformVersionSemver).toBe('~1.15.0');
    expect(c.customOps).toEqual(['addition_op.so']);
  });

  it('accepts a scalar shape [] and ignores unknown keys', () => {
    const c = parse(replace('[null, 2, "some_symbol"], "name": "x"', '[], "name": "x", "comment": "anything"'));
    expect(c.inputSpec[0]!.shape).toEqual([]);
  });

  it('keeps spec order', () => {
    const c = parse('{"name":"m","platform":"onnx","input_spec":[{"name":"b","dtype":"int64","shape":[1]},{"name":"a","dtype":"string","shape":[null]}],"output_spec":[]}');
    expect(c.inputSpec.map((s) => s.name)).toEqual(['b', 'a']);
  });
});

describe('parseNeuropodConfig rejects what Neuropod rejects, in its words', () => {
  const where = '(config.json in test.neuropod)';
  const inX = "('x', input_spec[0] in config.json in test.neuropod)";

  it('rejects a non-string name (invalid_name)', () => {
    rejects(replace('"addition_model"', 'true'), `'name' and 'platform' must be strings. ${where}`);
  });

  it('rejects a non-string platform (invalid_platform)', () => {
    rejects(replace('"tensorflow"', '5'), `'name' and 'platform' must be strings. ${where}`);
  });

  it('rejects dtype complex128 (invalid_spec_dtype)', () => {
    rejects(replace('float32', 'complex128'), `The specified data type 'complex128' is invalid. ${inX}`);
  });

  it.each(['bool', 'float16', 'complex64'])('rejects dtype %s, which is not one of the 11', (dtype) => {
    rejects(replace('float32', dtype), `The specified data type '${dtype}' is invalid. ${inX}`);
  });

  it('rejects a non-string tensor name (invalid_spec_name)', () => {
    rejects(replace('"x"', 'true'), "'name' must be a string. (input_spec[0] in config.json in test.neuropod)");
  });

  it('rejects a shape given as a string (invalid_spec_shape)', () => {
    rejects(replace('[null, 2, "some_symbol"]', '"123"'), `'shape' must be an array. Please check your config file ${inX}`);
  });

  it('rejects true inside a shape (invalid_spec_shape_element)', () => {
    rejects(replace('[null, 2, "some_symbol"]', '[null, 2, "some_symbol", true]'), `All items in 'shape' must be either null, a string, or a positive integer. Got true. ${inX}`);
  });

  it.each([['0', '0'], ['-1', '-1'], ['2.5', '2.5']])('rejects dim %s', (dim, shown) => {
    rejects(replace('[null, 2, "some_symbol"]', `[${dim}, 2]`), `All items in 'shape' must be either null, a string, or a positive integer. Got ${shown}. ${inX}`);
  });

  it('rejects device TPU (invalid_device)', () => {
    rejects(replace('"x": "GPU"', '"x": "TPU"'), "Invalid device type: TPU (input_tensor_device 'x' in config.json in test.neuropod)");
  });

  it('rejects an invalid platform_version_semver', () => {
    rejects(
      replace('"platform": "tensorflow",', '"platform": "tensorflow", "platform_version_semver": "one point five",'),
      `The provided platform version (one point five) was not a valid semver version or range. See https://semver.org/ and https://docs.npmjs.com/misc/semver#ranges ${where}`,
    );
  });

  it('rejects text that is not JSON', () => {
    expect(() => parse('{"name": ')).toThrowError(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringMatching(/^Error loading neuropod config! Please check your config file\. Error parsing JSON: .+ \(config.json in test.neuropod\)$/) }));
  });

  it('rejects JSON that is not an object', () => {
    rejects('[1, 2]', `The config must be a JSON object. ${where}`);
  });

  it('rejects a missing dtype', () => {
    rejects(replace('"dtype": "float32", ', ''), `'dtype' must be a string. ${inX}`);
  });

  it('rejects custom_ops that are not strings', () => {
    rejects(replace('"platform": "tensorflow",', '"platform": "tensorflow", "custom_ops": [1],'), `'custom_ops' must be an array of strings. ${where}`);
  });
});

describe('readNeuropodConfig', () => {
  it('reads config.json from a package, whatever its case', async () => {
    const pkg = zipPackage(zipSync({ 'CONFIG.JSON': new TextEncoder().encode(VALID_SPEC) }), 'upper.neuropod');
    expect((await readNeuropodConfig(pkg)).name).toBe('addition_model');
  });

  it('rejects a package without config.json', async () => {
    const pkg = zipPackage(zipSync({ '0/data/model.onnx': new Uint8Array([1]) }), 'noconfig.neuropod');
    await expect(readNeuropodConfig(pkg)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: `${CONFIG_ERROR_PREFIX} The package has no config.json at its root; every Neuropod package has one. (noconfig.neuropod)`,
    });
  });
});
