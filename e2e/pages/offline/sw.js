// The app shell only (this page and the engine's files), network first: packages are left to the engine's own
// Cache API store, which is what the offline test checks.
const SHELL = 'offline-e2e-shell';

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (event) => {
  const { pathname } = new URL(event.request.url);
  if (!pathname.startsWith('/dist/') && !pathname.startsWith('/e2e/pages/offline/')) return;
  event.respondWith(
    fetch(event.request)
      .then(async (response) => {
        await (await caches.open(SHELL)).put(event.request, response.clone());
        return response;
      })
      .catch(async () => (await caches.match(event.request)) ?? Response.error()),
  );
});
