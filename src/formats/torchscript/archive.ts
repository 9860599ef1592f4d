import { NeuropodError } from '../../api/errors.js';
import { openZip, type ZipArchive } from '../../archive/zip.js';
import { DTYPES, type DType } from '../../tensor/dtype.js';
import type { Tensor } from '../../tensor/tensor.js';
import { PickleObject, PickleTuple, itemsOf, type PickleValue } from '../pickle/values.js';
import type { Module } from './python/ast.js';
import { parsePython } from './python/parser.js';
import { copyStrided, readTorchPickle } from './torch-pickle.js';

/**
 * A `torch.jit.save` archive, either layout: the root module object (a PickleObject whose class names a class in
 * the code, with its attributes, parameters and submodules as state), the constants table, and the parsed code.
 */
export interface TorchScriptArchive {
  layout: 'legacy' | 'current';
  root: PickleObject;
  constants: readonly PickleValue[];
  /** Parsed code by dotted module path: `__torch__.torch.nn.modules.conv` -> code/__torch__/torch/nn/modules/conv.py. */
  code: Map<string, Module>;
}

/** Class name of the legacy layout's modules, which the code addresses as top-level functions. */
export const LEGACY_MODULE_CLASS = '__legacy__';

export function readTorchScriptArchive(bytes: Uint8Array, source: string): TorchScriptArchive {
  const zip = openZip(bytes, source);
  // torch writes <root>/version; some versions only <root>/.data/version.
  const versionEntry = zip.names().find((n) => /^[^/]+\/version$/.test(n)) ?? zip.names().find((n) => /^[^/]+\/\.data\/version$/.test(n));
  if (!versionEntry) throw new NeuropodError('MODEL_INVALID', `${source} is not a TorchScript archive: it has no <root>/version record`);
  const root = versionEntry.slice(0, versionEntry.indexOf('/') + 1);
  const version = Number(new TextDecoder().decode(zip.read(versionEntry)).trim());
  return version <= 1 || zip.entry(`${root}model.json`) ? readLegacy(zip, root, source) : readCurrent(zip, root, source);
}

function readCode(zip: ZipArchive, root: string): Map<string, Module> {
  const code = new Map<string, Module>();
  for (const name of zip.names()) {
    if (!name.startsWith(`${root}code/`) || !name.endsWith('.py')) continue;
    const path = name.slice(`${root}code/`.length, -'.py'.length);
    code.set(path.replaceAll('/', '.'), parsePython(new TextDecoder().decode(zip.read(name)), name));
  }
  return code;
}

/** Current layout (version >= 2): data.pkl (the module tree), constants.pkl, data/<key> and constants/<key> storages. */
function readCurrent(zip: ZipArchive, root: string, source: string): TorchScriptArchive {
  const pickle = (name: string, records: string) =>
    readTorchPickle(zip.read(`${root}${name}`), `${source}/${root}${name}`, (key) => zip.read(`${root}${records}/${key}`));
  const data = pickle('data.pkl', 'data');
  if (!(data instanceof PickleObject)) throw new NeuropodError('MODEL_INVALID', `${source}: data.pkl does not hold a module`);
  const constants = zip.entry(`${root}constants.pkl`) ? pickle('constants.pkl', 'constants') : new PickleTuple([]);
  return { layout: 'current', root: data, constants: itemsOf(constants) ?? [], code: readCode(zip, root) };
}

interface LegacyModule {
  name?: string;
  torchscriptArena?: { key: string };
  parameters?: { name: string; tensorId: string }[];
  attributes?: { name: string; id: number }[];
  submodules?: LegacyModule[];
}

interface LegacyTensor {
  dims?: string[];
  offset?: string;
  strides?: string[];
  dataType?: string;
  data: { key: string };
}

/** protobuf TensorProto.DataType names as PyTorch 1.0 wrote them into model.json. */
const LEGACY_DTYPES: Record<string, DType> = {
  FLOAT: 'float32', DOUBLE: 'float64', FLOAT16: 'float16', INT64: 'int64', INT32: 'int32', INT16: 'int16', INT8: 'int8', UINT8: 'uint8', BOOL: 'bool',
};

/**
 * Legacy layout (version 1, PyTorch 1.0-1.2): model.json describes modules, parameters and tensors; each module's
 * code is top-level `def`s in its arena file. Modules become PickleObjects of class LEGACY_MODULE_CLASS + path.
 */
function readLegacy(zip: ZipArchive, root: string, source: string): TorchScriptArchive {
  const json = JSON.parse(new TextDecoder().decode(zip.read(`${root}model.json`))) as { mainModule: LegacyModule; tensors?: LegacyTensor[] };
  const tensors = (json.tensors ?? []).map((t) => legacyTensor(zip, root, t, source));
  const attributes = zip.entry(`${root}attributes.pkl`)
    ? itemsOf(readTorchPickle(zip.read(`${root}attributes.pkl`), `${source}/${root}attributes.pkl`, () => new Uint8Array())) ?? []
    : [];
  const code = new Map<string, Module>();
  const build = (m: LegacyModule, path: string): PickleObject => {
    const className = `${LEGACY_MODULE_CLASS}.${path}`;
    if (m.torchscriptArena) code.set(className, parsePython(new TextDecoder().decode(zip.read(`${root}${m.torchscriptArena.key}`)), m.torchscriptArena.key));
    const object = new PickleObject(className, []);
    const state = new Map<PickleValue, PickleValue>();
    for (const p of m.parameters ?? []) state.set(p.name, tensors[Number(p.tensorId)]!);
    for (const a of m.attributes ?? []) state.set(a.name, attributes[a.id] ?? null);
    for (const s of m.submodules ?? []) state.set(s.name!, build(s, `${path}.${s.name}`));
    object.state = state;
    return object;
  };
  return { layout: 'legacy', root: build(json.mainModule, 'main'), constants: [], code };
}

function legacyTensor(zip: ZipArchive, root: string, t: LegacyTensor, source: string): Tensor {
  const dtype = LEGACY_DTYPES[t.dataType ?? 'FLOAT'];
  if (!dtype) throw new NeuropodError('MODEL_INVALID', `${source}: tensor type ${t.dataType} is not one this reader knows`);
  const shape = (t.dims ?? []).map(Number);
  const strides = (t.strides ?? []).map(Number);
  const bytes = zip.read(`${root}${t.data.key}`).slice();
  const ctor = DTYPES[dtype].array!;
  const elements = new ctor(bytes.buffer, 0, Math.floor(bytes.byteLength / DTYPES[dtype].rawBytes));
  return copyStrided(dtype, elements, Number(t.offset ?? 0), shape, strides);
}
