import { tensor } from '../dist/index.js';
import { decodeImage, drawImageTensor, FLOAT_RANGES, imageTensor, rgbaPixels, targetSize } from './image-input.js';
import { createDrawPad } from './draw-pad.js';
import { el } from './element.js';
import { formatShape, imageLayout } from './tensor-layout.js';

/** The side an image input with free spatial dims takes when it is filled without a picture. */
const FREE_SIDE_WITHOUT_PICTURE = 64;

/**
 * One editor per input spec: images get a picture picker, strings a line-per-element text box, the rest JSON.
 * `symbols` keeps one size per spec symbol so inputs that share a symbol get the same size; `onPictureDrawn` is
 * called after each stroke on an image input's draw pad (the page runs the model then).
 * @returns {{ element: HTMLElement, read: () => Promise<import('../dist/index.js').Tensor> }}
 */
export function createEditor(spec, symbols, samplePicture, onPictureDrawn) {
  const found = imageLayout(spec.shape, spec.dtype);
  if (found) return imageEditor(spec, found, samplePicture, onPictureDrawn);
  if (spec.dtype === 'string') return stringEditor(spec, symbols);
  return arrayEditor(spec, symbols);
}

/** Free dims: a leading one (a batch) is 1, others 2; a symbol keeps the size it first got. */
function concreteShape(shape, symbols) {
  return shape.map((d, i) => {
    if (typeof d === 'number') return d;
    const fallback = i === 0 ? 1 : 2;
    if (typeof d !== 'string') return fallback;
    if (!symbols.has(d)) symbols.set(d, fallback);
    return symbols.get(d);
  });
}

function frame(spec, kind) {
  const box = el('fieldset', { className: `editor editor-${kind}`, dataset: { input: spec.name } });
  box.append(el('legend', { textContent: `${spec.name}  ${spec.dtype} ${formatShape(spec.shape)}` }));
  return box;
}

function fillButtons(kinds, onFill) {
  const row = el('div', { className: 'fills' });
  for (const kind of kinds) row.append(el('button', { type: 'button', textContent: kind, dataset: { fill: kind }, onclick: () => onFill(kind) }));
  return row;
}

function parseShape(text) {
  const dims = text.replace(/[[\]]/g, '').split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`the shape "${text}" is not a list of sizes like 1, 2`);
  return dims;
}

function arrayEditor(spec, symbols) {
  const box = frame(spec, 'array');
  const shapeField = el('input', { className: 'shape', value: concreteShape(spec.shape, symbols).join(', '), ariaLabel: `${spec.name} shape` });
  const text = el('textarea', { className: 'values', rows: 3, spellcheck: false, ariaLabel: `${spec.name} values` });
  const fill = (kind) => {
    const shape = parseShape(shapeField.value);
    text.value = JSON.stringify(nest(filled(kind, shape.reduce((a, b) => a * b, 1), spec.dtype), shape));
  };
  box.append(el('label', { textContent: 'shape ' }, shapeField), text, fillButtons(['ramp', 'zeros', 'random'], fill));
  fill('ramp');
  const read = async () => {
    const parsed = parseJson(text.value, spec.name);
    const shape = Array.isArray(parsed) && parsed.some(Array.isArray) ? nestedShape(parsed, spec.name) : parseShape(shapeField.value);
    const flat = Array.isArray(parsed) ? parsed.flat(Infinity) : [parsed];
    return tensor(flat.map((v) => toNumber(v, spec.dtype)), shape, spec.dtype);
  };
  return { element: box, read };
}

function stringEditor(spec, symbols) {
  const box = frame(spec, 'string');
  const text = el('textarea', { className: 'values', rows: 3, value: 'hello neuropod\nthe demo runs offline', ariaLabel: `${spec.name} text, one element a line` });
  box.append(el('p', { className: 'hint', textContent: 'one string a line' }), text);
  const read = async () => {
    const lines = text.value.split('\n');
    const shape = concreteShape(spec.shape, symbols);
    const free = spec.shape.findIndex((d) => typeof d !== 'number');
    if (free >= 0) shape[free] = 1;
    const rest = shape.reduce((a, b) => a * b, 1);
    if (free >= 0) shape[free] = Math.max(1, Math.ceil(lines.length / rest));
    const size = shape.reduce((a, b) => a * b, 1);
    return tensor(Array.from({ length: size }, (_, i) => lines[i] ?? ''), shape, 'string');
  };
  return { element: box, read };
}

function imageEditor(spec, found, samplePicture, onPictureDrawn) {
  const box = frame(spec, 'image');
  const preview = el('canvas', { className: 'preview', ariaLabel: `${spec.name} preview` });
  const file = el('input', { type: 'file', accept: 'image/*', className: 'image-file', ariaLabel: `${spec.name} image` });
  const range = el('select', { className: 'range', ariaLabel: `${spec.name} value range` });
  for (const name of Object.keys(FLOAT_RANGES)) range.append(el('option', { value: name, textContent: name }));
  const invert = el('input', { type: 'checkbox', className: 'invert' });
  let source = samplePicture ? { kind: 'picture', picture: samplePicture } : { kind: 'random' };
  const read = async () => {
    const t = imageFromSource(source, found, spec.dtype, range.value, invert.checked);
    drawImageTensor(preview, t, found);
    return t;
  };
  file.onchange = async () => {
    pad.hide();
    if (file.files?.[0]) source = { kind: 'picture', picture: await decodeImage(file.files[0]) };
    await read();
  };
  range.onchange = invert.onchange = () => read();
  const pad = createDrawPad(async (canvas) => {
    source = { kind: 'picture', picture: canvas };
    await read();
    onPictureDrawn?.();
  });
  const kinds = samplePicture ? ['sample', 'draw', 'zeros', 'random'] : ['draw', 'zeros', 'random'];
  const fills = fillButtons(kinds, (kind) => {
    if (kind === 'draw') return pad.start();
    pad.hide();
    source = kind === 'sample' ? { kind: 'picture', picture: samplePicture } : { kind };
    read();
  });
  const layout = el('p', { className: 'hint', textContent: `${found.layout} ${spec.dtype}, ${found.c} channel${found.c > 1 ? 's' : ''}; pictures are resized to ${found.h ?? 'their'} x ${found.w ?? 'own'} px` });
  const controls = el('div', { className: 'image-controls' }, file, fills);
  if (spec.dtype !== 'uint8') controls.append(el('label', { textContent: 'range ' }, range));
  controls.append(el('label', {}, invert, ' invert'));
  box.append(layout, el('div', { className: 'image-row' }, pad.element, preview, controls));
  read();
  return { element: box, read };
}

function imageFromSource(source, found, dtype, range, invert) {
  if (source.kind === 'picture') {
    const { h, w } = targetSize(found, source.picture);
    return imageTensor(rgbaPixels(source.picture, w, h), found, { h, w, dtype, range, invert });
  }
  const h = found.h ?? FREE_SIDE_WITHOUT_PICTURE;
  const w = found.w ?? FREE_SIDE_WITHOUT_PICTURE;
  const rgba = new Uint8ClampedArray(h * w * 4).map((_, i) => (source.kind === 'random' ? Math.floor(Math.random() * 256) : i % 4 === 3 ? 255 : 0));
  return imageTensor(rgba, found, { h, w, dtype, range, invert });
}

function filled(kind, size, dtype) {
  const random = () => (dtype.startsWith('float') ? Math.round((Math.random() * 2 - 1) * 1000) / 1000 : dtype === 'bool' ? Math.round(Math.random()) : Math.floor(Math.random() * (dtype === 'uint8' ? 256 : 10)));
  return Array.from({ length: size }, (_, i) => (kind === 'zeros' ? 0 : kind === 'ramp' ? (dtype === 'bool' ? i % 2 : i + 1) : random()));
}

function nest(flat, shape) {
  if (shape.length <= 1) return shape.length === 0 ? flat[0] : flat;
  const step = flat.length / shape[0];
  return Array.from({ length: shape[0] }, (_, i) => nest(flat.slice(i * step, (i + 1) * step), shape.slice(1)));
}

function nestedShape(value, name) {
  const shape = [];
  for (let v = value; Array.isArray(v); v = v[0]) shape.push(v.length);
  const check = (v, depth) => {
    if (depth === shape.length) return;
    if (!Array.isArray(v) || v.length !== shape[depth]) throw new Error(`input ${name}: the nested arrays are ragged (not all of length ${shape[depth]} at depth ${depth})`);
    v.forEach((x) => check(x, depth + 1));
  };
  check(value, 0);
  return shape;
}

function parseJson(text, name) {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`input ${name}: the values are not JSON (${e.message})`);
  }
}

function toNumber(v, dtype) {
  if (typeof v === 'boolean') return Number(v);
  if (typeof v !== 'number') throw new Error(`a ${dtype} input takes numbers, got ${JSON.stringify(v)}`);
  return dtype.startsWith('float') ? v : Math.round(v);
}
