import { z } from 'zod'

/** Field name → column name: which columns a view reads, and what the app calls each. */
type FieldMap<S extends z.ZodRawShape> = Readonly<Record<string, keyof S & string>>

type ViewShape<S extends z.ZodRawShape, F extends FieldMap<S>> = { -readonly [K in keyof F]: S[F[K]] }

export interface RowView<S extends z.ZodRawShape, F extends FieldMap<S>> {
  fields: F
  /** The columns the view reads, as the schema of the row it parses. */
  row: z.ZodObject<Pick<S, F[keyof F]>>
  /** The view: each field typed exactly as its column. */
  schema: z.ZodObject<ViewShape<S, F>>
  fromRow(row: z.infer<z.ZodObject<Pick<S, F[keyof F]>>>): z.infer<z.ZodObject<ViewShape<S, F>>>
  toRow(view: z.infer<z.ZodObject<ViewShape<S, F>>>): z.infer<z.ZodObject<Pick<S, F[keyof F]>>>
}

/**
 * Some columns of a row under the app's names (a conversation is a contacts row,
 * `conversation_status` is its `status`). The field map is the one place that pairs
 * a field with its column; the field's type is the column's.
 */
export function rowView<S extends z.ZodRawShape, const F extends FieldMap<S>>(
  row: z.ZodObject<S>,
  fields: F,
): RowView<S, F> {
  const pairs = Object.entries(fields)
  const mask = Object.fromEntries(pairs.map(([, column]) => [column, true as const]))
  const shape = Object.fromEntries(pairs.map(([field, column]) => [field, row.shape[column]]))
  return {
    fields,
    row: row.pick(mask as never) as unknown as RowView<S, F>['row'],
    schema: z.object(shape) as unknown as RowView<S, F>['schema'],
    fromRow(value) {
      const source = value as Record<string, unknown>
      const view: Record<string, unknown> = {}
      for (const [field, column] of pairs) view[field] = source[column]
      return view as never
    },
    toRow(value) {
      const source = value as Record<string, unknown>
      const target: Record<string, unknown> = {}
      for (const [field, column] of pairs) target[column] = source[field]
      return target as never
    },
  }
}
