// Lint rules, including the import boundaries between the folders (README "Folders and
// what they may import", and shared/design/architecture.md). The boundaries are an
// allowlist: each row names the folders, npm packages and Node builtins its files may
// import, by any means (eslint-rules/import-boundaries.js); anything else is an error.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import reactHooks from 'eslint-plugin-react-hooks'
import globals from 'globals'
import importBoundaries from './eslint-rules/import-boundaries.js'

// The Supabase CLI's public demo keys: for the developer tools and tests, never the product.
const cliDemoKeys = 'local-backend/cli-demo-keys.ts'
// Test support that lives beside the code it helps test, and the demo keys: no production row may import them.
const testSupport = [
  'test',
  'relay/demo-accounts.ts',
  'local-backend/db/demo-callers.ts',
  'local-backend/auth/test-support.ts',
  'local-backend/realtime/test-support.ts',
  'local-backend/rest/test-support.ts',
  cliDemoKeys,
]

const shared = {
  row: 'src/shared',
  why: 'src/shared runs anywhere (Electron main, preload, renderer, relay, Deno): pure functions, types and the zod contract, nothing environment-specific.',
  folders: ['src/shared'],
  // libphonenumber-js: phone numbers parsed, classified and shown one way (src/shared/phone.ts).
  packages: ['zod', 'libphonenumber-js'],
}
const logging = {
  row: 'logging/',
  why: 'logging/ is the Node-side Logger (pino, a rotating file, the terminal reporter) that main, the local backend and the relay all use, so it imports none of them: only the Logger interface in src/shared/log.ts.',
  folders: ['logging', 'src/shared/log.ts'],
  packages: ['pino', 'pino-roll', 'zod'],
  node: true,
}
const services = {
  row: 'src/main services',
  why: 'Main-process services are plain TypeScript on Node and never import electron: the Electron layer (src/main/electron) hands them what they need through the Platform interface.',
  folders: ['src/main', 'src/shared', 'logging'],
  except: ['src/main/electron', 'src/main/embedded-stack/host.ts', ...testSupport],
  packages: ['@supabase/supabase-js', 'ws', 'zod'],
  node: true,
}
const embeddedHost = {
  ...services,
  row: 'the embedded-stack host (src/main/embedded-stack/host.ts)',
  why: 'The embedded stack runs in a child process that launcher.ts forks by path; its entry composes the local backend and the relay, so it alone on the main side imports them. Like the services it never imports electron.',
  folders: [...services.folders, 'local-backend', 'relay'],
  except: ['src/main/electron', ...testSupport],
}
const electronLayer = {
  row: 'the Electron layer (src/main/electron)',
  why: 'Only the Electron layer imports electron: it adapts Electron to the services it wires together.',
  folders: ['src/main', 'src/shared', 'logging'],
  except: ['src/main/embedded-stack/host.ts', ...testSupport],
  packages: ['electron'],
  node: true,
}
const preload = {
  row: 'src/preload',
  why: 'The preload runs sandboxed and only bridges the contract: the shared contract and electron (contextBridge, ipcRenderer).',
  folders: ['src/preload', 'src/shared/contract.ts', 'src/shared/errors.ts'],
  packages: ['electron'],
}
const renderer = {
  row: 'src/renderer',
  why: 'The renderer runs in sandboxed Chromium and reaches the app only through the contract in src/shared: never main, preload or Node.',
  folders: ['src/renderer', 'src/shared'],
  packages: ['react', 'react-dom', 'zustand', '@tanstack/react-virtual'],
}
const relay = {
  row: 'relay/',
  why: 'The relay runs on any Node server or beside the local backend and reaches the app only through the contracts in src/shared (it logs through logging/): never src/main, src/renderer or the local backend.',
  folders: ['relay', 'src/shared', 'logging'],
  except: testSupport,
  // jose: agents' tokens are verified against the project's JWKS where the relay runs.
  packages: ['@hono/node-server', '@supabase/supabase-js', 'hono', 'jose', 'twilio', 'zod'],
  node: true,
}
const localBackend = {
  row: 'local-backend/',
  why: 'The local backend is a Supabase-compatible server: it never imports the app (src/main, src/renderer, src/preload) or the relay.',
  folders: ['local-backend', 'src/shared', 'logging'],
  except: testSupport,
  packages: [
    '@electric-sql/pglite',
    '@hono/node-server',
    // The Twilio double reads Twilio's OpenAPI description from this package's files.
    '@twilio-alpha/mcp',
    'ajv',
    'bcryptjs',
    'hono',
    'jose',
    'nanotar',
    // TOTP factors (auth/mfa): the codes, and the enrolment QR code GoTrue returns.
    'otpauth',
    'qrcode',
    // Edge Functions run in the Deno binary this package installs (edge-functions.ts).
    'deno',
    // supabase/config.toml, read as the Supabase CLI reads it (auth/config.ts).
    'smol-toml',
    'twilio',
    'ws',
    'zod',
  ],
  node: true,
}

/** A test row: what `base` allows, plus vitest and `extra`; it may import test support. */
const tests = (base, extra) => ({
  ...base,
  ...extra,
  row: `${base.row} tests`,
  folders: [...base.folders, ...(extra.folders ?? [])],
  except: (base.except ?? []).filter((path) => !testSupport.includes(path)),
  packages: [...base.packages, 'vitest', ...(extra.packages ?? [])],
})

/** [files, row] pairs; a file takes the last row whose files match it. */
const boundaries = [
  [['**/*.{js,mjs,cjs,ts,mts,cts,tsx}'], {}],
  [
    ['*.config.{js,ts}', 'eslint-rules/**'],
    {
      row: 'the repository tooling',
      why: 'Build, lint and test configuration.',
      folders: ['eslint-rules'],
      packages: [
        '@eslint/js',
        '@playwright/test',
        '@vitejs/plugin-react',
        'electron-vite',
        'eslint-plugin-react-hooks',
        'globals',
        'typescript-eslint',
        'vitest',
      ],
      node: true,
    },
  ],
  [['src/shared/**'], shared],
  [['src/main/**'], services],
  [['src/main/embedded-stack/host.ts'], embeddedHost],
  [['src/main/electron/**'], electronLayer],
  [['src/preload/**'], preload],
  [['src/renderer/**'], renderer],
  [['relay/**'], relay],
  [['local-backend/**'], localBackend],
  [
    ['local-backend/twilio/inbound-cli.ts'],
    {
      ...localBackend,
      row: 'the inbound SMS developer tool (local-backend/twilio/inbound-cli.ts)',
      why: '`npm run sms:inbound` posts to `npm run stack`, so it defaults to the CLI demo service key that stack uses; it is never bundled.',
      except: testSupport.filter((path) => path !== cliDemoKeys),
    },
  ],
  [
    ['local-backend/edge-runtime-main.ts'],
    {
      row: 'the Edge Functions main worker (local-backend/edge-runtime-main.ts)',
      why: 'It runs under Deno and loads the one function it serves by the path it is given, as the edge runtime does, so its one import is computed.',
      folders: ['local-backend/edge-runtime-protocol.ts'],
      packages: [],
      uncheckedSpecifiers: true,
    },
  ],
  [
    ['supabase/functions/**'],
    {
      row: 'supabase/functions/',
      why: 'Edge Functions are thin entries under Deno: the relay function is the relay itself (relay/), configured as the platform configures a function.',
      folders: ['supabase/functions', 'relay', 'src/shared'],
      packages: [],
    },
  ],
  [['logging/**'], logging],
  [
    ['test/support/**'],
    {
      row: 'test/support',
      why: 'Test support starts the real stack (local backend, Twilio double, relay) and signed-in services for the tests of several folders, and speaks to the browser shell as a tab does (ws).',
      folders: ['test/support', 'src/main', 'src/shared', 'local-backend', 'relay', 'logging'],
      except: ['src/main/electron'],
      // fast-check: the consent keyword variants (keyword-variants.ts).
      packages: ['@supabase/supabase-js', 'fast-check', 'postgres', 'ws'],
      node: true,
    },
  ],
  [
    ['src/shared/**/*.test.ts'],
    // fast-check: property tests (src/shared/phone.test.ts).
    tests(shared, {
      why: 'Tests of src/shared are as pure as what they test; the consent keyword variants they fuzz with are shared with the relay tests.',
      folders: ['test/support/keyword-variants.ts'],
      packages: ['fast-check'],
    }),
  ],
  [
    ['src/renderer/**/*.test.{ts,tsx}'],
    tests(renderer, {
      why: "Renderer tests import what the renderer may, and the browser shell's real host to drive the stores against (test/support/shell-host.ts).",
      folders: ['test/support/shell-host.ts'],
    }),
  ],
  [
    ['src/preload/**/*.test.ts'],
    tests(preload, {
      why: 'Preload tests check the bridge against the whole contract.',
      folders: ['src/shared'],
    }),
  ],
  [
    ['src/main/**/*.test.ts'],
    tests(services, {
      why: 'Service tests run the services against the real local backend and relay.',
      folders: ['local-backend', 'relay', 'test/support'],
    }),
  ],
  [
    ['src/main/electron/**/*.test.ts'],
    tests(electronLayer, { why: 'Electron-layer tests import what the layer may.' }),
  ],
  [
    ['local-backend/**/*.test.ts'],
    tests(localBackend, {
      why: "Local-backend tests use supabase-js as a client would; the Twilio double is checked against the relay's real Twilio client.",
      folders: ['relay/twilio-client.ts'],
      packages: ['@supabase/supabase-js'],
    }),
  ],
  [
    ['local-backend/realtime/test-support.ts'],
    tests(localBackend, {
      why: 'Realtime test support joins channels with supabase-js, as the app does, and gives each test file its harness through vitest hooks.',
      packages: ['@supabase/supabase-js'],
    }),
  ],
  [
    ['local-backend/rest/test-support.ts'],
    tests(localBackend, {
      why: 'REST test support starts a backend on a scratch schema and reaches it with supabase-js, as a client would.',
      packages: ['@supabase/supabase-js'],
    }),
  ],
  [
    ['relay/**/*.test.ts'],
    tests(relay, {
      why: 'Relay tests run the relay against the real local backend and Twilio double.',
      folders: ['local-backend', 'test/support'],
      packages: ['fast-check', 'jose'],
    }),
  ],
  [
    ['logging/**/*.test.ts'],
    tests(logging, {
      why: 'Logging tests write through the real file and read a real child process’s output.',
    }),
  ],
  [
    ['test/**/*.test.ts'],
    {
      row: 'tests in test/',
      why: 'Tests of the repository itself, such as the import boundaries, the secret scan, which plants keys to find, and npm run web and npm run stack as a person starts them (with the allocator settings and V8 flags they start themselves with).',
      folders: [
        'test',
        'local-backend/keys.ts',
        'local-backend/cli-demo-keys.ts',
        'local-backend/db',
        'src/main/core/glibc-malloc.ts',
        'src/main/embedded-stack/wasm-tiering.ts',
      ],
      packages: ['eslint', 'postgres', 'vitest'],
      node: true,
    },
  ],
  [
    ['e2e/**'],
    {
      row: 'e2e/',
      why: 'End-to-end tests drive the built app and the browser shell against the real stack, with the same test support as the service tests.',
      folders: ['e2e', 'src/main', 'src/shared', 'local-backend', 'relay', 'logging', 'test/support'],
      except: ['src/main/electron'],
      packages: ['@axe-core/playwright', '@playwright/test', 'ws'],
      node: true,
    },
  ],
  [
    ['bench/**'],
    {
      row: 'bench/',
      why: 'Benchmarks time the real parts; bench/run.ts loads each benchmark by its path, in a process started as the backend child is (scripts/as-the-backend-runs.ts). postgres (postgres.js) drives the PostgreSQL 15 the REST and realtime benches compare with.',
      folders: [
        'bench',
        'scripts/as-the-backend-runs.ts',
        'e2e',
        // The browser tab without a browser (shell-client), which the memory bench signs in through.
        'test/support',
        'src/main',
        'src/shared',
        'local-backend',
        'relay',
        'logging',
        'playwright.config.ts',
      ],
      except: ['src/main/electron'],
      packages: ['@electric-sql/pglite', '@supabase/supabase-js', 'playwright-core', 'postgres', 'ws'],
      node: true,
      uncheckedSpecifiers: true,
    },
  ],
  [
    ['scripts/**'],
    {
      row: 'scripts/',
      why: "Developer scripts start the app or the browser shell and run tools; stack.ts composes the local backend and the relay beside it (neither may import the other); audit-electron.ts loads Electronegativity's runner, and the got it uses, from the tool's own folder, and electron-fuses.ts reads electron-builder's configuration with electron-builder's own loader (app-builder-lib). wasm-profile.ts runs the backend's daily work (a bench's volume, an agent on supabase-js) to write the profile the backend's V8 flags read (src/main/embedded-stack/wasm-tiering.ts), and reads PGlite's module beside its entry.",
      folders: [
        'scripts',
        'src/main/browser-shell',
        'src/main/core/glibc-malloc.ts',
        'src/main/embedded-stack/wasm-tiering.ts',
        'bench/volume.ts',
        'playwright.config.ts',
        'local-backend',
        'relay',
        'logging',
      ],
      packages: [
        '@playwright/test',
        '@electric-sql/pglite',
        '@supabase/supabase-js',
        'got',
        'zod',
        'electron-builder',
        'app-builder-lib',
      ],
      node: true,
      uncheckedSpecifiers: true,
    },
  ],
  [
    ['scripts/**/*.test.ts'],
    {
      row: 'scripts/ tests',
      why: 'Tests of the developer scripts run the scripts, and the modules they use, for real; the wasm profile’s test opens the backend’s database with the backend’s V8 flags.',
      folders: ['scripts', 'src/main/embedded-stack/wasm-tiering.ts', 'local-backend/db'],
      packages: ['vitest', '@electric-sql/pglite'],
      node: true,
    },
  ],
]

// src/shared runs in Node and in the browser: only the globals both have.
const environmentOnlyGlobals = [
  ...Object.keys(globals.browser).filter((name) => !(name in globals.node) && !(name in globals.builtin)),
  ...Object.keys(globals.node).filter((name) => !(name in globals.browser) && !(name in globals.builtin)),
]
const onlyInOneEnvironment = (name) =>
  `src/shared runs anywhere: ${name} exists only in the browser or only in Node.`

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'test-results/**',
      'playwright-report/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    plugins: { boundaries: { rules: { imports: importBoundaries } } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  ...boundaries.map(([files, row]) => ({ files, rules: { 'boundaries/imports': ['error', row] } })),
  {
    files: ['src/shared/**'],
    rules: {
      'no-restricted-globals': [
        'error',
        ...environmentOnlyGlobals.map((name) => ({ name, message: onlyInOneEnvironment(name) })),
      ],
      // The same names used as types (HTMLElement, Buffer), which the rule above does not see.
      '@typescript-eslint/no-restricted-types': [
        'error',
        {
          types: Object.fromEntries(
            environmentOnlyGlobals.map((name) => [name, { message: onlyInOneEnvironment(name) }]),
          ),
        },
      ],
    },
  },
  {
    // Issue 19: every screen shows a number in one format. Screens show it through
    // shownPhone (src/renderer/src/lib/phone-display.ts), notifications through formatPhone
    // (src/shared/phone.ts); a raw E.164 spliced into text would show another.
    files: ['src/renderer/src/components/**/*.tsx', 'src/main/notifications/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...['JSXExpressionContainer', 'TemplateLiteral', 'BinaryExpression[operator="+"]'].map((context) => ({
          selector: `${context} MemberExpression[property.name="phoneNumber"]:not(CallExpression *)`,
          message: 'Show a phone number through shownPhone (renderer) or formatPhone (src/shared/phone.ts).',
        })),
      ],
    },
  },
  {
    files: ['src/renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
)
