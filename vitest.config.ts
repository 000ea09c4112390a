import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['{src,local-backend,relay,logging,scripts,test}/**/*.test.{ts,tsx}'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
})
