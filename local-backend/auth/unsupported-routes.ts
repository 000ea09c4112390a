import { Hono } from 'hono'
import { authenticate, type AuthContext } from './context.ts'
import { authError } from './errors.ts'

/**
 * What GoTrue answers for sign-in methods a project has not turned on, in its
 * words (middleware.go, token_oidc.go, web3.go). The embedded backend has no
 * external identity providers, SAML or Web3 wallets, so it always answers these:
 * an app written against a hosted project with them off sees the same errors.
 */
export function createUnsupportedRoutes(ctx: AuthContext): Hono {
  const app = new Hono()
  const samlDisabled = () => authError(404, 'saml_provider_disabled', 'SAML 2.0 is disabled')
  app.post('/sso', samlDisabled)
  app.get('/sso/saml/metadata', samlDisabled)
  app.post('/sso/saml/acs', samlDisabled)

  // Linking other identities needs enable_manual_linking, and a provider to link.
  const linkingDisabled = () => authError(404, 'manual_linking_disabled', 'Manual linking is disabled')
  app.get('/user/identities/authorize', async (c) => {
    const auth = await authenticate(c, ctx.jwt)
    return auth.ok ? linkingDisabled() : auth.response
  })
  app.delete('/user/identities/:id', async (c) => {
    const auth = await authenticate(c, ctx.jwt)
    return auth.ok ? linkingDisabled() : auth.response
  })
  return app
}

/** The token grants of external providers (id_token, web3), none of which is configured. */
export const idTokenProviderDisabled = (issuer: string) =>
  authError(400, 'provider_disabled', `Provider (issuer "${issuer}") is not enabled`)

export const web3ProviderDisabled = () =>
  authError(422, 'web3_provider_disabled', 'Web3 provider is disabled')
