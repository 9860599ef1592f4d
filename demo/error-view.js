/** An error as the page shows it: the NeuropodError code (or the error's name) and its message. */
export function describeError(e) {
  const code = typeof e?.code === 'string' ? e.code : e?.name ?? 'Error';
  const message = e?.message ?? String(e);
  return { code, message };
}

export function showError(box, e, context) {
  const { code, message } = describeError(e);
  box.hidden = false;
  box.dataset.code = code;
  box.replaceChildren();
  const head = document.createElement('strong');
  head.textContent = `${context}: ${code}`;
  const body = document.createElement('p');
  body.textContent = message;
  box.append(head, body);
}

export function clearError(box) {
  box.hidden = true;
  box.replaceChildren();
  delete box.dataset.code;
}
