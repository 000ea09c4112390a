/** Request bodies larger than this are refused on REST and auth with 413, as Supabase's gateway does. */
export const maxBodyBytes = 1024 * 1024

export type JsonBody = { ok: true; value: unknown } | { ok: false; message: string }

/** Reads a JSON body; an empty body is `undefined`, malformed JSON is an error value, never a throw. */
export async function readJson(request: Pick<Request, 'text'>): Promise<JsonBody> {
  const text = await request.text()
  if (text.trim() === '') return { ok: true, value: undefined }
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : 'invalid JSON' }
  }
}

export function jsonResponse(body: unknown, status: number, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  })
}
