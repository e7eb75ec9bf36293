import { defineConfig } from 'vite';

// Builds one script and one stylesheet with fixed names into the server project, where they are embedded in the
// binary (see src/Hearth.Server/WebUi). No hashing: the server sends ETags, and fixed names keep diffs readable.
export default defineConfig({
  base: '/ui/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../src/Hearth.Server/WebUi/dist',
    emptyOutDir: true,
    assetsDir: '',
    modulePreload: false,
    reportCompressedSize: false,
    rollupOptions: {
      output: { entryFileNames: 'app.js', chunkFileNames: '[name].js', assetFileNames: '[name][extname]', codeSplitting: false },
    },
  },
});
