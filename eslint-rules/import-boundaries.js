// An allowlist of what each folder may import, checked on every way a module can be
// reached: import and export-from, import(), require(), require.resolve(), a require
// made by createRequire(), `import x = require()` and `typeof import()` in types.
// eslint.config.js gives each folder its row; a specifier the row does not name is an error.
import { isBuiltin } from 'node:module'
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path'

/** The repository root: rows name folders relative to it, wherever ESLint runs from. */
const root = resolve(import.meta.dirname, '..')

/** The npm package a bare specifier names: `@scope/name` or `name`, without the subpath. */
function packageName(specifier) {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
}

/** Whether the repository path lies in one of the folders (or is one of the files) listed. */
function within(path, folders) {
  return folders.some((folder) => path === folder || path.startsWith(`${folder}/`))
}

/** Why the row refuses the specifier, or null when it allows it. */
function refusal(specifier, row, filename) {
  if (specifier.startsWith('.') || isAbsolute(specifier)) {
    const target = relative(root, resolve(dirname(filename), specifier.split('?')[0]))
      .split(sep)
      .join('/')
    if (target.startsWith('..')) return `${target} is outside the repository`
    if (within(target, row.except ?? [])) return `${target} is excluded from its folders`
    return within(target, row.folders ?? []) ? null : `${target} is in no folder on its list`
  }
  if (isBuiltin(specifier)) return row.node ? null : `Node builtins (${specifier}) are not on its list`
  const name = packageName(specifier)
  return (row.packages ?? []).includes(name) ? null : `the package ${name} is not on its list`
}

/** The specifier an argument spells out, or undefined when it is computed at run time. */
function literal(node) {
  if (node?.type === 'Literal' && typeof node.value === 'string') return node.value
  if (node?.type === 'TemplateLiteral' && node.expressions.length === 0) return node.quasis[0].value.cooked
  return undefined
}

const isCreateRequire = (node) =>
  node?.type === 'CallExpression' &&
  ((node.callee.type === 'Identifier' && node.callee.name === 'createRequire') ||
    (node.callee.type === 'MemberExpression' && node.callee.property.name === 'createRequire'))

/** Whether a createRequire() call resolves from this file (import.meta.url) rather than from another folder. */
const basedHere = (call) => {
  const base = call.arguments[0]
  return (
    base?.type === 'MemberExpression' && base.object.type === 'MetaProperty' && base.property.name === 'url'
  )
}

const row = {
  type: 'object',
  additionalProperties: false,
  required: ['row', 'why'],
  properties: {
    row: { type: 'string' },
    why: { type: 'string' },
    folders: { type: 'array', items: { type: 'string' } },
    except: { type: 'array', items: { type: 'string' } },
    packages: { type: 'array', items: { type: 'string' } },
    node: { type: 'boolean' },
    /** Allows what cannot be checked: computed specifiers, and relative ones from a createRequire based elsewhere. */
    uncheckedSpecifiers: { type: 'boolean' },
  },
}

export default {
  meta: {
    type: 'problem',
    docs: { description: 'Each folder imports only what its row in eslint.config.js allows.' },
    schema: [{ anyOf: [row, { type: 'object', additionalProperties: false, properties: {} }] }],
    messages: {
      unlisted: 'This file is in no row of the import boundaries in eslint.config.js: give its folder a row.',
      refused: "'{{specifier}}' is not allowed in {{row}}: {{reason}}. {{why}}",
      unchecked:
        '{{what}} cannot be checked against the boundaries of {{row}}: name the module literally, relative to this file. {{why}}',
    },
  },
  create(context) {
    const options = context.options[0]
    if (!options?.row) {
      return { Program: (node) => context.report({ node, messageId: 'unlisted' }) }
    }
    const report = (node, messageId, data) =>
      context.report({ node, messageId, data: { row: options.row, why: options.why, ...data } })
    /** Checks the module `source` names; `here` is false when a relative name resolves from another folder. */
    const check = (node, source, here = true) => {
      if (!source) return
      const specifier = literal(source)
      if (specifier === undefined || (!here && specifier.startsWith('.'))) {
        const what =
          specifier === undefined
            ? 'A computed module specifier'
            : `'${specifier}', relative to another folder,`
        if (!options.uncheckedSpecifiers) report(node, 'unchecked', { what })
        return
      }
      const reason = refusal(specifier, options, context.filename)
      if (reason) report(node, 'refused', { specifier, reason })
    }
    /** The createRequire() call behind a name, if the name was bound to one. */
    const boundCreateRequire = (name, node) => {
      for (let scope = context.sourceCode.getScope(node); scope; scope = scope.upper) {
        const variable = scope.set.get(name)
        if (variable) return variable.defs.map((def) => def.node.init).find(isCreateRequire)
      }
      return undefined
    }
    /** For a callee that loads a module (require, createRequire(...), a name bound to it): whether it resolves from here. */
    const loader = (callee, node) => {
      if (callee.type === 'Identifier' && callee.name === 'require') return { here: true }
      const call = isCreateRequire(callee)
        ? callee
        : callee.type === 'Identifier'
          ? boundCreateRequire(callee.name, node)
          : undefined
      return call && { here: basedHere(call) }
    }
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source),
      TSExternalModuleReference: (node) => check(node, node.expression),
      TSImportType: (node) => check(node, node.source),
      CallExpression(node) {
        const { callee } = node
        const load =
          loader(callee, node) ??
          (callee.type === 'MemberExpression' && callee.property.name === 'resolve'
            ? loader(callee.object, node)
            : undefined)
        if (load) check(node, node.arguments[0], load.here)
      },
    }
  },
}
