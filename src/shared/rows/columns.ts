import { z } from 'zod'

/**
 * Column types shared by every row schema in this folder, and the two ways a
 * row schema is narrowed for reading. The schemas mirror supabase/migrations
 * column for column; local-backend/db/row-schemas.test.ts holds them against the
 * real catalog.
 */

export const uuidColumn = z.uuid()
/** timestamptz as PostgREST and Realtime send it: text, compared only after normalizing. */
export const timestampColumn = z.string().min(1)

/** A PostgREST select list naming exactly the schema's keys, so what is read and what is parsed cannot drift apart. */
export function selectList(schema: z.ZodObject): string {
  return Object.keys(schema.shape).join(', ')
}

type FilledShape<S extends z.ZodRawShape, K extends keyof S> = {
  [P in K]: S[P] extends z.ZodNullable<infer Inner> ? Inner : S[P]
}

/**
 * The row as a read returns it, where the database itself fills a nullable column
 * on every write (a default or a trigger): a stored row never has null there. The
 * catalog test checks that each such column has a default.
 */
export function filledByDatabase<S extends z.ZodRawShape, K extends keyof S & string>(
  schema: z.ZodObject<S>,
  columns: readonly K[],
) {
  const filled = Object.fromEntries(
    columns.map((column) => {
      const nullable = schema.shape[column]
      if (!(nullable instanceof z.ZodNullable)) throw new Error(`${column} is not a nullable column`)
      return [column, nullable.unwrap()]
    }),
  )
  return schema.extend(filled as FilledShape<S, K>)
}
