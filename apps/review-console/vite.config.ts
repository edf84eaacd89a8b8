import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// human-review serves dist/ at / on its own origin; in development the dev server forwards the API to it
// so cookies and the CSRF header behave exactly as in production (same origin).
export default defineConfig(({ command, mode }) => ({
  base: '/',
  plugins: [react()],
  // A build started from a test runner inherits NODE_ENV=test, which would ship React's development
  // build (StrictMode double effects, slower): the bundle follows the build's mode, never the caller's env.
  ...(command === 'build' && mode !== 'development'
    ? { define: { 'process.env.NODE_ENV': JSON.stringify('production') }, oxc: { jsx: { development: false } } }
    : {}),
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: {
    port: 5173,
    proxy: { '/v1': { target: 'http://127.0.0.1:8082', changeOrigin: false } },
  },
}));
