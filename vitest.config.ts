// Test runner settings: real servers on loopback need generous timeouts, and Podman suites run
// one file at a time so that containers of one suite never race another's.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
})
