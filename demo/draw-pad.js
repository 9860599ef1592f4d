import { el } from './element.js';

const SIDE = 280;

/**
 * A black square to draw on with a white round brush (a digit for MNIST, a sketch for anything else). `onStroke`
 * gets the canvas after each stroke, ready to be read as a picture.
 */
export function createDrawPad(onStroke) {
  const pad = el('canvas', { className: 'draw-pad', width: SIDE, height: SIDE, ariaLabel: 'draw here', hidden: true });
  const ctx = pad.getContext('2d');
  const clear = () => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, SIDE, SIDE);
  };
  clear();
  Object.assign(ctx, { strokeStyle: '#fff', lineWidth: 22, lineCap: 'round', lineJoin: 'round' });
  const at = (e) => {
    const box = pad.getBoundingClientRect();
    return [((e.clientX - box.left) / box.width) * SIDE, ((e.clientY - box.top) / box.height) * SIDE];
  };
  let drawing = false;
  pad.addEventListener('pointerdown', (e) => {
    drawing = true;
    pad.setPointerCapture?.(e.pointerId);
    ctx.beginPath();
    ctx.moveTo(...at(e));
  });
  pad.addEventListener('pointermove', (e) => {
    if (!drawing) return;
    ctx.lineTo(...at(e));
    ctx.stroke();
  });
  const end = () => {
    if (!drawing) return;
    drawing = false;
    onStroke(pad);
  };
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointercancel', end);
  return {
    element: pad,
    start() {
      clear();
      pad.hidden = false;
    },
    hide() {
      pad.hidden = true;
    },
  };
}
