import type { AppApi, RequestChannel, RequestOf, ResponseOf } from '../../../shared/contract.ts'
import type { Result } from '../../../shared/errors.ts'

/** The one AppApi of this page, chosen at start (preload or WebSocket). Components never know which. */
let current: AppApi | null = null

export function setApi(api: AppApi): void {
  current = api
}

export function getApi(): AppApi {
  if (!current) throw new Error('The app API is used before it was chosen.')
  return current
}

export function call<C extends RequestChannel>(
  channel: C,
  payload: RequestOf<C>,
): Promise<Result<ResponseOf<C>>> {
  return getApi().request(channel, payload)
}
