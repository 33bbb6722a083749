import { defineConfig } from 'vite';

// The explorer's bundle, built at `pnpm build` and served by the registry from /explorer-assets/
// (no build step at run time). Fixed file names: the CLI's offline page inlines them by name.
export default defineConfig({
  root: 'web',
  base: '/explorer-assets/',
  logLevel: 'warn',
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    modulePreload: false,
    target: 'es2022',
    rollupOptions: {
      output: {
        entryFileNames: 'explorer.js',
        chunkFileNames: 'explorer-[name].js',
        assetFileNames: 'explorer[extname]',
        inlineDynamicImports: true,
      },
    },
  },
});
