import { accessSync, constants, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { Ajv, type ValidateFunction } from 'ajv'

/**
 * Twilio's own OpenAPI descriptions of the 2010-04-01 REST API and of the Messaging
 * v1 API (Messaging Services), read from the @twilio-alpha/mcp package at run time,
 * and request/response validation against them. The double answers only what these
 * descriptions allow.
 */
interface Parameter {
  name: string
  in: 'path' | 'query' | 'header'
  required?: boolean
  schema: Schema
}
type Schema = Record<string, unknown> & {
  $ref?: string
  type?: string
  properties?: Record<string, Schema>
  items?: Schema
}
interface Operation {
  parameters?: Parameter[]
  requestBody?: { content: Record<string, { schema: Schema }> }
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>
}
interface Spec {
  paths: Record<string, Record<string, Operation | unknown>>
  components: { schemas: Record<string, Schema> }
}

export interface MatchedOperation {
  template: string
  method: string
  operation: Operation
  pathParams: Record<string, string>
}

export type Validation = { ok: true; value: Record<string, unknown> } | { ok: false; errors: string[] }

const SPEC_ID = 'twilio-api-v2010'
const httpMethods = new Set(['get', 'post', 'put', 'delete', 'patch'])

const SPEC_PATH = 'twilio-oai/spec/json/twilio_api_v2010.json'
/** Messaging Services (messaging.twilio.com/v1), read from beside the 2010-04-01 description. */
const MESSAGING_SPEC = 'twilio_messaging_v1.json'

/**
 * The description ships in a dev dependency: from the repository it is read from
 * node_modules, and a packaged app, which has no dev dependencies, ships the one
 * file as a resource and names it in EMBEDDED_TWILIO_SPEC. Either way a missing
 * file says what it is and where it was looked for, not a bare ENOENT.
 */
function unreadableSpec(file: string, error: unknown): Error {
  return new Error(
    `The Twilio double needs Twilio's OpenAPI description (${file}): from the @twilio-alpha/mcp dev dependency, ` +
      `or the file EMBEDDED_TWILIO_SPEC names in a packaged app. It could not be read: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error },
  )
}

/** The descriptions' paths, checked readable now, so a missing file fails the start rather than a first send. */
function specFiles(): string[] {
  const api = specFile()
  const messaging = join(dirname(api), MESSAGING_SPEC)
  try {
    accessSync(messaging, constants.R_OK)
  } catch (error) {
    throw unreadableSpec(messaging, error)
  }
  return [api, messaging]
}

function specFile(): string {
  const named = process.env.EMBEDDED_TWILIO_SPEC
  let file = named || `@twilio-alpha/mcp/${SPEC_PATH}`
  try {
    file =
      named ||
      join(dirname(createRequire(import.meta.url).resolve('@twilio-alpha/mcp/package.json')), SPEC_PATH)
    accessSync(file, constants.R_OK)
    return file
  } catch (error) {
    throw unreadableSpec(file, error)
  }
}

function readSpec(file: string): Spec {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Spec
  } catch (error) {
    throw unreadableSpec(file, error)
  }
}

/** The APIs' paths and schemas side by side: their paths (/2010-04-01/…, /v1/…) and schema names do not overlap. */
function mergedSpec(files: string[]): Spec {
  const specs = files.map(readSpec)
  return {
    paths: Object.assign({}, ...specs.map((spec) => spec.paths)) as Spec['paths'],
    components: {
      schemas: Object.assign(
        {},
        ...specs.map((spec) => spec.components.schemas),
      ) as Spec['components']['schemas'],
    },
  }
}

/** Points the description's document-local references at the registered copy of the whole description. */
function anchorRefs(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(anchorRefs)
  if (schema === null || typeof schema !== 'object') return schema
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [
      key,
      key === '$ref' && typeof value === 'string' && value.startsWith('#')
        ? `${SPEC_ID}${value}`
        : anchorRefs(value),
    ]),
  )
}

const permissive = () => true

/**
 * The description is 2 MB of JSON: parsed, with its routes and validators, it is
 * held only once the double serves its first request, so an app at rest (which
 * sends nothing) does not carry it.
 */
export function loadTwilioApi() {
  const files = specFiles()
  let loaded: CompiledApi | undefined
  const api = () => (loaded ??= compileSpec(mergedSpec(files)))
  return {
    match: (...args: Parameters<CompiledApi['match']>) => api().match(...args),
    validateRequest: (...args: Parameters<CompiledApi['validateRequest']>) => api().validateRequest(...args),
    validateResponse: (...args: Parameters<CompiledApi['validateResponse']>) =>
      api().validateResponse(...args),
  }
}

type CompiledApi = ReturnType<typeof compileSpec>

function compileSpec(spec: Spec) {
  const ajv = new Ajv({
    strict: false,
    allErrors: true,
    formats: {
      // Twilio's pages name themselves by path (`/2010-04-01/Accounts/…`), as its own examples do.
      uri: (value: string) => URL.canParse(value) || value.startsWith('/2010-04-01/'),
      'date-time': (value: string) => !Number.isNaN(Date.parse(value)),
      'date-time-rfc-2822': (value: string) => !Number.isNaN(Date.parse(value)),
      // Whether a number is valid is Twilio's business answer (21211), not a schema error.
      'phone-number': (value: string) => value.length > 0,
      'uri-map': permissive,
      'iso-country-code': permissive,
      'http-method': permissive,
      'phone-number-capabilities': permissive,
      currency: permissive,
      'ice-server': permissive,
      date: permissive,
      int64: permissive,
      endpoint: permissive,
      twiml: permissive,
    },
  })
  ajv.addSchema({ components: spec.components }, SPEC_ID)
  const compiled = new Map<Schema, ValidateFunction>()
  const compile = (schema: Schema) => {
    let validate = compiled.get(schema)
    if (!validate) {
      validate = ajv.compile(anchorRefs(schema) as object)
      compiled.set(schema, validate)
    }
    return validate
  }
  const resolve = (schema: Schema): Schema => {
    if (!schema.$ref) return schema
    const name = schema.$ref.replace('#/components/schemas/', '')
    const target = spec.components.schemas[name]
    return target ? resolve(target) : schema
  }

  const routes = Object.entries(spec.paths).flatMap(([template, item]) => {
    const names: string[] = []
    const pattern = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_, name: string) => {
      names.push(name)
      return '([^/]+)'
    })
    const regex = new RegExp(`^${pattern}$`)
    return Object.entries(item)
      .filter(([method]) => httpMethods.has(method))
      .map(([method, operation]) => ({ template, method, regex, names, operation: operation as Operation }))
  })

  /** A form value is always a string; the schema says what it means (a boolean, a number, a repeated list). */
  const coerce = (schema: Schema, values: string[]): unknown => {
    const target = resolve(schema)
    if (target.type === 'array') return values.map((value) => coerce(target.items ?? {}, [value]))
    const value = values[values.length - 1] ?? ''
    if (target.type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value
    if (
      (target.type === 'integer' || target.type === 'number') &&
      value.trim() !== '' &&
      !Number.isNaN(Number(value))
    ) {
      return Number(value)
    }
    return value
  }

  const errorsOf = (validate: ValidateFunction, where: string) =>
    (validate.errors ?? []).map((error) =>
      `${where}${error.instancePath || ''} ${error.message ?? 'is invalid'}`.trim(),
    )

  return {
    match(method: string, pathname: string): MatchedOperation | undefined {
      for (const route of routes) {
        if (route.method !== method.toLowerCase()) continue
        const found = route.regex.exec(pathname)
        if (!found) continue
        const pathParams = Object.fromEntries(
          route.names.map((name, index) => [name, decodeURIComponent(found[index + 1] ?? '')]),
        )
        return { template: route.template, method: route.method, operation: route.operation, pathParams }
      }
      return undefined
    },

    /** Checks path and query parameters and the form body as the description defines them; unknown body fields are refused. */
    validateRequest(matched: MatchedOperation, query: URLSearchParams, form: URLSearchParams): Validation {
      const errors: string[] = []
      for (const parameter of matched.operation.parameters ?? []) {
        const raw =
          parameter.in === 'path'
            ? [matched.pathParams[parameter.name] ?? '']
            : parameter.in === 'query'
              ? query.getAll(parameter.name)
              : []
        if (parameter.in === 'header') continue
        if (raw.length === 0) {
          if (parameter.required) errors.push(`${parameter.name} is required`)
          continue
        }
        const validate = compile(parameter.schema)
        if (!validate(coerce(parameter.schema, raw))) errors.push(...errorsOf(validate, parameter.name))
      }
      const bodySchema = matched.operation.requestBody?.content['application/x-www-form-urlencoded']?.schema
      const value: Record<string, unknown> = {}
      if (bodySchema) {
        const properties = resolve(bodySchema).properties ?? {}
        for (const name of new Set(form.keys())) {
          const property = properties[name]
          if (!property) {
            errors.push(`${name} is not a parameter of this operation`)
            continue
          }
          value[name] = coerce(property, form.getAll(name))
        }
        const validate = compile(bodySchema)
        if (!validate(value)) errors.push(...errorsOf(validate, 'body'))
      } else if ([...form.keys()].length > 0) {
        errors.push('this operation takes no body')
      }
      return errors.length === 0 ? { ok: true, value } : { ok: false, errors }
    },

    /** Checks a JSON answer against the schema the description gives for that operation and status. */
    validateResponse(matched: MatchedOperation, status: number, body: unknown): Validation {
      const schema = matched.operation.responses[String(status)]?.content?.['application/json']?.schema
      if (!schema) return { ok: false, errors: [`the description defines no ${status} answer`] }
      const validate = compile(schema)
      return validate(body)
        ? { ok: true, value: body as Record<string, unknown> }
        : { ok: false, errors: errorsOf(validate, 'response') }
    },
  }
}

export type TwilioApi = ReturnType<typeof loadTwilioApi>
