/**
 * Registers the service worker and, once it controls the page, hands it the URLs this page loaded before it was
 * in control (the engine's modules), so a reload with the network off finds them. The badge says when that is done.
 */
export async function registerServiceWorker(badge) {
  if (!('serviceWorker' in navigator)) {
    badge.textContent = 'offline: no service worker here';
    return;
  }
  try {
    await navigator.serviceWorker.register(new URL('./sw.js', import.meta.url));
    await navigator.serviceWorker.ready;
    await controlled();
    const urls = performance.getEntriesByType('resource').map((e) => e.name).filter((u) => new URL(u).origin === location.origin);
    await ask(navigator.serviceWorker.controller, { type: 'keep', urls: [location.href, ...urls] });
    badge.textContent = 'offline: ready';
    document.body.dataset.offline = 'ready';
  } catch (e) {
    badge.textContent = `offline: unavailable (${e.message})`;
  }
}

function controlled() {
  if (navigator.serviceWorker.controller) return Promise.resolve();
  return new Promise((ok) => navigator.serviceWorker.addEventListener('controllerchange', () => ok(), { once: true }));
}

function ask(worker, message) {
  return new Promise((ok, fail) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = (e) => (e.data.ok ? ok(e.data) : fail(new Error(e.data.error)));
    worker.postMessage(message, [channel.port2]);
  });
}
