import { readFile } from 'node:fs/promises';
import { NeuropodError } from '../api/errors.js';
import type { AttributeValue, Attributes, Dim, Model, ValueInfo } from '../graph/ir.js';
import type { Value } from '../graph/value.js';
import { allocate, DTYPES, isDType, type DType } from '../tensor/dtype.js';
import { floatToBfloat16, floatToHalf } from '../tensor/float16.js';
import { Tensor } from '../tensor/tensor.js';
import { ORT_WEB_TOLERANCE } from './compare.js';
import type { LoadedTest } from './cases.js';

/** The JSON of an onnxruntime-web operator test file (_example.jsonc documents it). */
export interface OpTestJson {
  name: string;
  operator: string;
  opset?: { domain: string; version: number };
  attributes?: { name: string; type: string; data: unknown }[];
  inputShapeDefinitions?: 'none' | 'rankOnly' | 'static' | (Dim[] | undefined)[];
  platformCondition?: string;
  cases: OpCaseJson[];
}

interface TensorJson {
  type: string;
  data: unknown[] | null;
  dims?: number[];
}

interface OpCaseJson {
  name: string;
  inputs: TensorJson[];
  outputs: TensorJson[];
}

/**
 * What onnxruntime-web uses when a test names no opset: the highest opset folder of its node test data
 * (js/web/script/test-runner-cli.ts, MAX_OPSET_VERSION), which its suite test list shows is 18.
 */
const DEFAULT_OPSET = { domain: '', version: 18 };

/** JSON with // and /* *\/ comments and trailing commas, as the .jsonc test files are written. */
export function parseJsonc(text: string, source: string): unknown {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') {
      const end = endOfString(text, i);
      out += text.slice(i, end);
      i = end - 1;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      i = text.indexOf('*/', i + 2) + 1;
      if (i === 0) throw new NeuropodError('USAGE', `${source}: a /* comment is never closed`);
    } else out += c;
  }
  try {
    return JSON.parse(out.replace(/,(\s*[\]}])/g, '$1'));
  } catch (e) {
    throw new NeuropodError('USAGE', `${source} is not valid JSONC: ${(e as Error).message}`, { cause: e });
  }
}

function endOfString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  return i + 1;
}

const files = new Map<string, Promise<OpTestJson[]>>();

export function readOpTestFile(path: string): Promise<OpTestJson[]> {
  let tests = files.get(path);
  if (!tests) files.set(path, (tests = readFile(path, 'utf8').then((text) => parseJsonc(text, path) as OpTestJson[])));
  return tests;
}

/** One case of an op test as a one-node model: inputs `input_i` (omitted where data is null), outputs `output_i`. */
export function buildOpTest(test: OpTestJson, testCase: OpCaseJson, backend: string): LoadedTest {
  const opset = test.opset ?? DEFAULT_OPSET;
  const shapes = inputShapes(test, testCase);
  const inputs: ValueInfo[] = [];
  const feeds = new Map<string, Value>();
  const nodeInputs = testCase.inputs.map((input, i) => {
    if (input.data === null) return '';
    const name = `input_${i}`;
    const dtype = dtypeOf(input.type);
    inputs.push({ name, type: shapes[i] ? { kind: 'tensor', dtype, shape: shapes[i] } : { kind: 'tensor', dtype } });
    feeds.set(name, tensorFromJson(input, `${test.name} > ${testCase.name} input ${i}`));
    return name;
  });
  const expected = new Map<string, Value>();
  const outputs: ValueInfo[] = testCase.outputs.map((output, i) => {
    const name = `output_${i}`;
    if (output.data !== null) expected.set(name, tensorFromJson(output, `${test.name} > ${testCase.name} output ${i}`));
    return { name, type: { kind: 'tensor', dtype: dtypeOf(output.type) } };
  });
  const model: Model = {
    graph: {
      name: test.name,
      nodes: [{ name: test.operator, opType: test.operator, domain: opset.domain, inputs: nodeInputs, outputs: outputs.map((o) => o.name), attributes: attributesOf(test) }],
      inputs,
      outputs,
      initializers: new Map(),
    },
    opsets: new Map([[opset.domain, opset.version]]),
    metadata: { format: 'ort-web-op-test' },
  };
  const tolerance = ORT_WEB_TOLERANCE[backend] ?? ORT_WEB_TOLERANCE.cpu!;
  return { model, dataSets: [{ name: testCase.name, feeds, expected }], tolerance };
}

function inputShapes(test: OpTestJson, testCase: OpCaseJson): (Dim[] | undefined)[] {
  const defs = test.inputShapeDefinitions;
  if (defs === 'rankOnly') return testCase.inputs.map((input, i) => (input.dims ?? []).map((_, j) => `_input_${i}_d${j}`));
  if (defs === 'static') return testCase.inputs.map((input) => input.dims);
  return Array.isArray(defs) ? defs : [];
}

function dtypeOf(type: string): DType {
  if (!isDType(type)) throw new NeuropodError('USAGE', `op test type '${type}' is not a dtype this engine knows`);
  return type;
}

/** Attribute JSON rows become IR attributes by their declared type (the six onnxruntime-web's runner accepts). */
const ATTRIBUTE_FROM_JSON: Record<string, (data: unknown) => AttributeValue> = {
  float: (d) => ({ type: 'float', value: Number(d) }),
  int: (d) => ({ type: 'int', value: Number(d) }),
  string: (d) => ({ type: 'string', value: String(d) }),
  floats: (d) => ({ type: 'floats', value: (d as number[]).map(Number) }),
  ints: (d) => ({ type: 'ints', value: (d as number[]).map(Number) }),
  strings: (d) => ({ type: 'strings', value: (d as string[]).map(String) }),
};

function attributesOf(test: OpTestJson): Attributes {
  const attributes: Attributes = new Map();
  for (const a of test.attributes ?? []) {
    const make = ATTRIBUTE_FROM_JSON[a.type];
    if (!make) throw new NeuropodError('USAGE', `${test.name}: attribute '${a.name}' has type '${a.type}', which op tests do not use`);
    attributes.set(a.name, make(a.data));
  }
  return attributes;
}

/** JSON numbers as stored values: float16/bfloat16 as their bits, int64 as BigInt, bools as 0/1. */
export function tensorFromJson(json: TensorJson, where: string): Tensor {
  const dtype = dtypeOf(json.type);
  const values = json.data ?? [];
  const shape = json.dims ?? [values.length];
  if (dtype === 'string') return new Tensor(dtype, shape, values.map(String));
  const data = allocate(dtype, values.length);
  const encode = ENCODERS[dtype] ?? Number;
  for (let i = 0; i < values.length; i++) {
    if (DTYPES[dtype].big) (data as BigInt64Array)[i] = BigInt(values[i] as number);
    else (data as Float64Array)[i] = encode(values[i]);
  }
  if (shape.reduce((a, b) => a * b, 1) !== values.length) throw new NeuropodError('USAGE', `${where}: dims [${shape.join(', ')}] do not fit ${values.length} values`);
  return new Tensor(dtype, shape, data);
}

const ENCODERS: Partial<Record<DType, (v: unknown) => number>> = {
  float16: (v) => floatToHalf(Number(v)),
  bfloat16: (v) => floatToBfloat16(Number(v)),
  bool: (v) => (v ? 1 : 0),
};
