/**
 * Library build of <r1-chat> and the engine API (src/index.ts): `npx vite build -c src/ui/vite.lib.config.ts` writes
 * dist/lib/r1-chat.js (plus the engine's worker beside it), which a page embeds with one tag:
 *   <script type="module" src="…/r1-chat.js"></script> <r1-chat model="owner/name"></r1-chat>
 */
import path from 'node:path';
import { defineConfig, type Plugin } from 'vite';

/**
 * Library builds inline every asset, and KaTeX's stylesheet names each font three times (woff2,
 * woff, ttf). Every browser with WebGPU reads woff2, so the other two are dropped before inlining.
 */
function woff2Only(): Plugin {
  return {
    name: 'katex-woff2-only',
    enforce: 'pre',
    transform(code, id) {
      if (!/katex(\.min)?\.css/.test(id)) return null;
      return code.replace(/,\s*url\([^)]*\.(?:woff|ttf)\)\s*format\("(?:woff|truetype)"\)/g, '');
    },
  };
}

export default defineConfig({
  root: path.resolve(import.meta.dirname, '../..'),
  publicDir: false,
  plugins: [woff2Only()],
  worker: { format: 'es' },
  build: {
    outDir: 'dist/lib',
    emptyOutDir: true,
    target: 'es2022',
    minify: true,
    lib: { entry: 'src/index.ts', formats: ['es'], fileName: () => 'r1-chat.js' },
  },
});
