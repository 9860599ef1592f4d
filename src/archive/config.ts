import { NeuropodError } from '../api/errors.js';
import { NEUROPOD_DTYPES, type DType } from '../tensor/dtype.js';
import type { NeuropodConfig, SpecDim, TensorSpec } from '../spec/types.js';
import type { PackageFiles } from './package-files.js';
import { isSemverRange } from './semver-range.js';

/** Neuropod's own prefix for every config error (config_utils.cc, throw_neuropod_config_error). */
export const CONFIG_ERROR_PREFIX = 'Error loading neuropod config! Please check your config file.';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const DEVICES: readonly string[] = ['GPU', 'CPU'];

/** The wording after the prefix is Neuropod's (config_utils.cc); what follows in parentheses says where. */
function configError(message: string, where: string): NeuropodError {
  return new NeuropodError('CONFIG_INVALID', `${CONFIG_ERROR_PREFIX} ${message} (${where})`);
}

/** Reads and checks the package's root config.json (NEUROPOD-FORMAT.md section 3). */
export async function readNeuropodConfig(files: PackageFiles): Promise<NeuropodConfig> {
  if (!(await files.has('config.json'))) {
    throw configError('The package has no config.json at its root; every Neuropod package has one.', files.source);
  }
  return parseNeuropodConfig(await files.readText('config.json'), `config.json in ${files.source}`);
}

/** Parses config.json as Neuropod's load_model_config does, in its order, with its rejections. */
export function parseNeuropodConfig(text: string, where: string): NeuropodConfig {
  let json: Json;
  try {
    json = JSON.parse(text) as Json;
  } catch (e) {
    throw configError(`Error parsing JSON: ${(e as Error).message}`, where);
  }
  if (!isObject(json)) throw configError('The config must be a JSON object.', where);
  if (typeof json.name !== 'string' || typeof json.platform !== 'string') throw configError("'name' and 'platform' must be strings.", where);
  const inputSpec = tensorSpecs(json, 'input_spec', where);
  return {
    name: json.name,
    platform: json.platform,
    platformVersionSemver: platformVersion(json, where),
    inputSpec,
    outputSpec: tensorSpecs(json, 'output_spec', where),
    customOps: customOps(json, where),
    inputTensorDevice: inputDevices(json, inputSpec, where),
  };
}

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function platformVersion(json: JsonObject, where: string): string {
  const range = json.platform_version_semver ?? '*';
  if (typeof range !== 'string' || !isSemverRange(range)) {
    throw configError(
      `The provided platform version (${typeof range === 'string' ? range : JSON.stringify(range)}) was not a valid semver version or range. ` +
        'See https://semver.org/ and https://docs.npmjs.com/misc/semver#ranges',
      where,
    );
  }
  return range;
}

function tensorSpecs(json: JsonObject, key: 'input_spec' | 'output_spec', where: string): TensorSpec[] {
  const specs = json[key];
  if (specs === undefined || specs === null) return [];
  if (!Array.isArray(specs)) throw configError(`'${key}' must be an array of {name, dtype, shape}.`, where);
  return specs.map((spec, i) => tensorSpec(spec, `${key}[${i}] in ${where}`));
}

function tensorSpec(spec: Json, where: string): TensorSpec {
  const entry = isObject(spec) ? spec : {};
  if (typeof entry.name !== 'string') throw configError("'name' must be a string.", where);
  const at = `'${entry.name}', ${where}`;
  return { name: entry.name, dtype: specDType(entry.dtype, at), shape: specShape(entry.shape, at) };
}

function specDType(dtype: Json | undefined, where: string): DType {
  if (typeof dtype !== 'string') throw configError("'dtype' must be a string.", where);
  if (!(NEUROPOD_DTYPES as readonly string[]).includes(dtype)) throw configError(`The specified data type '${dtype}' is invalid.`, where);
  return dtype as DType;
}

function specShape(shape: Json | undefined, where: string): SpecDim[] {
  if (!Array.isArray(shape)) throw configError("'shape' must be an array. Please check your config file", where);
  return shape.map((dim) => {
    if (dim === null || typeof dim === 'string') return dim;
    if (typeof dim === 'number' && Number.isSafeInteger(dim) && dim > 0) return dim;
    throw configError(`All items in 'shape' must be either null, a string, or a positive integer. Got ${JSON.stringify(dim)}.`, where);
  });
}

function customOps(json: JsonObject, where: string): string[] {
  const ops = json.custom_ops;
  if (ops === undefined || ops === null) return [];
  if (!Array.isArray(ops) || ops.some((op) => typeof op !== 'string')) throw configError("'custom_ops' must be an array of strings.", where);
  return ops as string[];
}

/** Neuropod: without input_tensor_device every input goes to the GPU; with it, only GPU or CPU are allowed. */
function inputDevices(json: JsonObject, inputs: TensorSpec[], where: string): Record<string, 'GPU' | 'CPU'> {
  const mapping = json.input_tensor_device ?? {};
  if (!isObject(mapping)) throw configError("'input_tensor_device' must be an object of {name: \"GPU\" | \"CPU\"}.", where);
  const devices: Record<string, 'GPU' | 'CPU'> = {};
  for (const input of inputs) devices[input.name] = 'GPU';
  for (const [name, device] of Object.entries(mapping)) {
    if (typeof device !== 'string' || !DEVICES.includes(device)) throw configError(`Invalid device type: ${typeof device === 'string' ? device : JSON.stringify(device)}`, `input_tensor_device '${name}' in ${where}`);
    devices[name] = device as 'GPU' | 'CPU';
  }
  return devices;
}
