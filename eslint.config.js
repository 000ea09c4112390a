// Lint rules, including the import boundaries between the environment folders
// (see the table in README "Folders and what they may import").
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import reactHooks from 'eslint-plugin-react-hooks'
import globals from 'globals'
import { builtinModules } from 'node:module'

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)]

/** no-restricted-imports with the given module names and path patterns forbidden. */
const forbid = (names, patterns, why) => ({
  'no-restricted-imports': [
    'error',
    {
      paths: names.map((name) => ({ name, message: why })),
      patterns: patterns.map((group) => ({ group: [group], message: why })),
    },
  ],
})

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'coverage/**', 'test-results/**', 'playwright-report/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['src/shared/**/*.{ts,tsx}'],
    rules: forbid(
      ['electron', 'react', 'zustand', '@supabase/supabase-js', ...nodeBuiltins],
      ['**/main/**', '**/renderer/**', '**/preload/**', '**/local-backend/**', '**/relay/**'],
      'src/shared runs anywhere: no Electron, Node, DOM or app-layer imports.',
    ),
  },
  {
    files: ['src/renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      ...forbid(
        ['electron', '@supabase/supabase-js', ...nodeBuiltins],
        ['**/main/**', '**/preload/**', '**/local-backend/**', '**/relay/**'],
        'The renderer is sandboxed: it talks only to the app API (src/shared contract).',
      ),
    },
  },
  {
    files: ['src/main/**/*.ts'],
    ignores: ['src/main/electron/**', 'src/main/embedded-stack/**'],
    rules: forbid(
      ['electron'],
      ['**/renderer/**', '**/preload/**'],
      'Main-process services never import electron: the Electron layer (src/main/electron) hands them what they need.',
    ),
  },
  {
    files: ['src/main/electron/**/*.ts'],
    rules: forbid([], ['**/renderer/**', '**/preload/**'], 'Main never imports the renderer or preload.'),
  },
  {
    files: ['src/preload/**/*.ts'],
    rules: forbid(
      [...nodeBuiltins],
      ['**/main/**', '**/renderer/**', '**/local-backend/**', '**/relay/**'],
      'The preload imports only the shared contract and electron.',
    ),
  },
  {
    files: ['local-backend/**/*.ts'],
    ignores: ['local-backend/**/*.test.ts'],
    rules: forbid(
      ['electron'],
      ['**/src/main/**', '**/src/renderer/**', '**/src/preload/**', '**/relay/**'],
      'The local backend never imports the app or the relay (src/shared is fine).',
    ),
  },
  {
    files: ['relay/**/*.ts'],
    ignores: ['relay/**/*.test.ts'],
    rules: forbid(
      ['electron'],
      ['**/src/main/**', '**/src/renderer/**', '**/src/preload/**', '**/local-backend/**'],
      'The relay may import src/shared only.',
    ),
  },
)
