import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/bench/**', 'node_modules/**', 'dist/**'],
    // Hang guards, not verdicts: a loaded 2-core machine runs several times slower than an idle one.
    testTimeout: 120_000,
    hookTimeout: 20_000,
  },
});
