import { defineConfig } from 'vite';

// The admin console: built by scripts/build-console.mjs (root = this folder) into dist/console,
// served by the service at /admin (src/http/console.ts). Its CSP allows only its own files, so the
// build has no inline script or style: Vite emits the entry and the CSS as hashed files.
export default defineConfig({
  base: '/admin/',
  // JSX through Vite's own Oxc transform, for Preact's automatic runtime (no Babel plugin)
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../dist/console',
    emptyOutDir: true,
    assetsDir: 'assets',
    // never a data: URL for a script or a style: every asset is a file under /admin/assets
    assetsInlineLimit: 0,
    // the console targets current evergreen browsers
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: true,
    chunkSizeWarningLimit: 400,
  },
  server: { proxy: { '/api': 'http://127.0.0.1:5000' } },
});
