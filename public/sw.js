/**
 * Offline app shell for r1-webgpu (registered by src/ui/app.ts in production builds only).
 *
 * Install: fetch the page, then every /assets/ file it names, then the files those name (the
 * engine's worker, chunks, fonts), and cache them all, so a second visit opens offline even
 * though the first page load happened before this worker controlled it.
 * Fetch: pages network-first (a new deploy shows at once), falling back to the cached shell;
 * other same-origin files cache-first (asset names carry content hashes). Model bytes are never
 * cached here: they are large, fetched with Range requests, and kept in IndexedDB by the app.
 */
const CACHE = 'r1-shell-v1';
const SCOPE = new URL(self.registration.scope);
const SHELL = new URL('./', SCOPE).href;
/**
 * Asset references inside HTML, JS and CSS, as Vite writes them ("/assets/name-hash.ext"). Fonts:
 * woff2 only, which every browser with service workers reads; the woff/ttf fallbacks are skipped.
 */
const ASSET_REF = /\/assets\/[\w.-]+\.(?:js|css|woff2|wasm|svg|png)/g;
const MAX_SHELL_FILES = 200;

self.addEventListener('install', (event) => {
  event.waitUntil(precacheShell().then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith('r1-shell-') && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== SCOPE.origin || req.headers.has('range')) return;
  if (/\/(demo-model|test-models)\//.test(url.pathname)) return;
  if (req.mode === 'navigate') {
    event.respondWith(networkFirst(req));
    return;
  }
  event.respondWith(cacheFirst(req));
});

async function precacheShell() {
  const cache = await caches.open(CACHE);
  const seen = new Set();
  const queue = [SHELL];
  while (queue.length && seen.size < MAX_SHELL_FILES) {
    const href = queue.shift();
    if (seen.has(href)) continue;
    seen.add(href);
    const res = await fetch(href, { cache: 'no-cache' });
    if (!res.ok) continue;
    await cache.put(href, res.clone());
    if (!/\.(html|js|css)$|\/$/.test(new URL(href).pathname)) continue;
    const text = await res.text();
    for (const ref of text.match(ASSET_REF) ?? []) {
      const abs = new URL(`.${ref}`, SCOPE).href;
      if (!seen.has(abs)) queue.push(abs);
    }
  }
}

async function networkFirst(req) {
  const cache = await caches.open(CACHE);
  try {
    const res = await fetch(req);
    if (res.ok) await cache.put(SHELL, res.clone());
    return res;
  } catch (e) {
    const cached = await cache.match(SHELL);
    if (cached) return cached;
    throw e;
  }
}

async function cacheFirst(req) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(req);
  if (cached) return cached;
  const res = await fetch(req);
  if (res.ok && res.type === 'basic') await cache.put(req, res.clone());
  return res;
}
