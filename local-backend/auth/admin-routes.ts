import { Hono, type Context } from 'hono'
import { z } from 'zod'
import { jsonResponse } from '../http.ts'
import {
  checkEmail,
  checkPassword,
  checkPhone,
  emailExists,
  hashOptional,
  insertAccount,
  mergeMetadataSql,
  phoneExists,
  upsertIdentity,
} from './accounts.ts'
import { requireServiceRole, uuid, type AuthContext } from './context.ts'
import { authError, validationFailed } from './errors.ts'
import { readParams } from './params.ts'
import { issueToken } from './one-time-tokens.ts'
import { redirectTarget } from './redirects.ts'
import { findUser, findUserByEmail, listUsers, userJson } from './users.ts'

const metadata = z.record(z.string(), z.unknown())

/** GoTrue's AdminUserParams (admin.go). */
const adminUserParams = z.object({
  id: z.string().optional(),
  email: z.string().optional(),
  phone: z.string().optional(),
  password: z.string().max(72).optional(),
  email_confirm: z.boolean().optional(),
  phone_confirm: z.boolean().optional(),
  user_metadata: metadata.optional(),
  app_metadata: metadata.optional(),
  role: z.string().max(63).optional(),
  ban_duration: z.string().optional(),
})
type AdminUserParams = z.infer<typeof adminUserParams>

const deleteParams = z.object({ should_soft_delete: z.boolean().optional() })

const inviteParams = z.object({ email: z.string().optional(), data: metadata.optional() })

const generateLinkParams = z.object({
  type: z.string(),
  email: z.string().optional(),
  new_email: z.string().optional(),
  password: z.string().optional(),
  data: metadata.optional(),
  redirect_to: z.string().optional(),
})

const goDurationUnitsMs: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1e3,
  m: 6e4,
  h: 36e5,
}

/** Go's time.ParseDuration, which GoTrue applies to ban_duration; "none" lifts a ban (0). */
function parseBanDuration(raw: string): number | undefined {
  if (raw === 'none') return 0
  const parts = [...raw.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)]
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== raw) return undefined
  return parts.reduce((ms, [, value, unit]) => ms + Number(value) * goDurationUnitsMs[unit!]!, 0)
}

/** The page links GoTrue adds to a list (pagination.go's addPaginationHeaders). */
function paginationHeaders(requestUrl: string, page: number, perPage: number, total: number) {
  const pages = Math.ceil(total / perPage)
  const url = new URL(requestUrl)
  const link = (to: number) => {
    url.searchParams.set('page', String(to))
    url.searchParams.set('per_page', String(perPage))
    return `<${url.pathname}${url.search}>`
  }
  const links = [...(pages > page ? [`${link(page + 1)}; rel="next"`] : []), `${link(pages)}; rel="last"`]
  return { link: links.join(', '), 'x-total-count': String(total) }
}

/** The admin API (GoTrue's /admin routes): the service role's, for managing accounts. */
export function createAdminRoutes(ctx: AuthContext): Hono {
  const { db, logger, config } = ctx
  const app = new Hono()

  // Per route rather than middleware: this app is mounted at the root, beside routes anyone may call.
  const adminOnly =
    (handler: (c: Context) => Promise<Response>) =>
    async (c: Context): Promise<Response> =>
      (await requireServiceRole(c, ctx.jwt)) ?? handler(c)

  app.get(
    '/admin/users',
    adminOnly(async (c) => {
      // An empty parameter is an absent one (supabase-js sends `page=&per_page=` when given none).
      const page = c.req.query('page') || '1'
      const perPage = c.req.query('per_page') || '50'
      if (!/^\d+$/.test(page) || !/^\d+$/.test(perPage) || Number(perPage) === 0)
        return validationFailed(`Bad Pagination Parameters: page=${page} per_page=${perPage}`)
      const pageNumber = Math.max(1, Number(page))
      const size = Math.min(Number(perPage), 1000)
      const listed = await listUsers(db, pageNumber, size)
      return jsonResponse(
        { users: listed.users.map(userJson), aud: 'authenticated' },
        200,
        paginationHeaders(c.req.url, pageNumber, size, listed.total),
      )
    }),
  )

  app.post(
    '/admin/users',
    adminOnly(async (c) => {
      const params = await readParams(c.req.raw, adminUserParams)
      if (!params.ok) return params.response
      const p = params.value
      if (!p.email && !p.phone)
        return validationFailed('Cannot create a user without either an email or phone')
      const email = p.email ? checkEmail(p.email) : undefined
      if (email && !email.ok) return email.response
      const phone = p.phone ? checkPhone(p.phone) : undefined
      if (phone && !phone.ok) return phone.response
      if (p.id !== undefined && !uuid.safeParse(p.id).success)
        return validationFailed('ID must conform to the uuid v4 format')
      if (p.password) {
        const weak = checkPassword(p.password, config)
        if (weak) return weak
      }
      const ban = p.ban_duration === undefined ? undefined : parseBanDuration(p.ban_duration)
      if (p.ban_duration !== undefined && ban === undefined)
        return validationFailed(`invalid format for ban duration: time: invalid duration "${p.ban_duration}"`)
      const passwordHash = await hashOptional(p.password)
      return db.transaction(async (tx) => {
        if (email && (await findUserByEmail(tx, email.value))) return emailExists()
        if (phone) {
          const taken = await tx.query('select 1 from auth.users where phone = $1', [phone.value])
          if (taken.rows.length > 0) return phoneExists()
        }
        const user = await insertAccount(
          tx,
          {
            id: p.id,
            email: email?.value,
            phone: phone?.value,
            userMetadata: p.user_metadata,
            appMetadata: p.app_metadata,
            role: p.role,
            emailConfirmed: p.email_confirm,
            phoneConfirmed: p.phone_confirm,
            bannedForMs: ban || undefined,
          },
          passwordHash,
        )
        logger.info('user created', { user_id: user.row.id })
        return jsonResponse(userJson(user), 200)
      })
    }),
  )

  app.get(
    '/admin/users/:id',
    adminOnly(async (c) => {
      const id = c.req.param('id') ?? ''
      if (!uuid.safeParse(id).success) return authError(404, 'validation_failed', 'user_id must be an UUID')
      const user = await findUser(db, id)
      return user ? jsonResponse(userJson(user), 200) : authError(404, 'user_not_found', 'User not found')
    }),
  )

  app.put(
    '/admin/users/:id',
    adminOnly(async (c) => {
      const id = c.req.param('id') ?? ''
      if (!uuid.safeParse(id).success) return authError(404, 'validation_failed', 'user_id must be an UUID')
      const params = await readParams(c.req.raw, adminUserParams)
      if (!params.ok) return params.response
      return updateUser(id, params.value)
    }),
  )

  async function updateUser(id: string, p: AdminUserParams): Promise<Response> {
    const email = p.email ? checkEmail(p.email) : undefined
    if (email && !email.ok) return email.response
    const phone = p.phone ? checkPhone(p.phone) : undefined
    if (phone && !phone.ok) return phone.response
    const ban = p.ban_duration ? parseBanDuration(p.ban_duration) : undefined
    if (p.ban_duration && ban === undefined)
      return validationFailed(`invalid format for ban duration: time: invalid duration "${p.ban_duration}"`)
    if (p.password !== undefined) {
      const weak = checkPassword(p.password, config)
      if (weak) return weak
    }
    const passwordHash = await hashOptional(p.password)
    return db.transaction(async (tx) => {
      const user = await findUser(tx, id)
      if (!user) return authError(404, 'user_not_found', 'User not found')
      if (email && email.value !== user.row.email) {
        if (await findUserByEmail(tx, email.value)) return emailExists()
        await upsertIdentity(tx, id, 'email', {
          email: email.value,
          email_verified: p.email_confirm ?? false,
        })
      }
      if (phone && phone.value !== user.row.phone) {
        await upsertIdentity(tx, id, 'phone', {
          phone: phone.value,
          phone_verified: p.phone_confirm ?? false,
        })
      }
      await tx.query(
        `update auth.users set
           email = coalesce($2, email),
           phone = coalesce($3, phone),
           encrypted_password = coalesce($4, encrypted_password),
           email_confirmed_at = case when $5 then coalesce(email_confirmed_at, now()) else email_confirmed_at end,
           phone_confirmed_at = case when $6 then coalesce(phone_confirmed_at, now()) else phone_confirmed_at end,
           raw_app_meta_data = case when $7::jsonb is null then raw_app_meta_data else ${mergeMetadataSql('raw_app_meta_data', '$7')} end,
           raw_user_meta_data = case when $8::jsonb is null then raw_user_meta_data else ${mergeMetadataSql('raw_user_meta_data', '$8')} end,
           role = coalesce($9, role),
           banned_until = case when $10::float8 is null then banned_until
                               when $10::float8 = 0 then null
                               else now() + $10::float8 * interval '1 millisecond' end,
           is_anonymous = is_anonymous and not ($5 or $6),
           updated_at = now()
         where id = $1`,
        [
          id,
          email?.value ?? null,
          phone?.value ?? null,
          passwordHash,
          p.email_confirm ?? false,
          p.phone_confirm ?? false,
          p.app_metadata === undefined ? null : JSON.stringify(p.app_metadata),
          p.user_metadata === undefined ? null : JSON.stringify(p.user_metadata),
          p.role ?? null,
          ban ?? null,
        ],
      )
      logger.info('user updated by admin', { user_id: id })
      return jsonResponse(userJson((await findUser(tx, id))!), 200)
    })
  }

  app.delete(
    '/admin/users/:id',
    adminOnly(async (c) => {
      const id = c.req.param('id') ?? ''
      const params = await readParams(c.req.raw, deleteParams)
      if (!params.ok) return params.response
      if (!uuid.safeParse(id).success) return authError(404, 'validation_failed', 'user_id must be an UUID')
      return db.transaction(async (tx) => {
        const user = await findUser(tx, id)
        if (!user) return authError(404, 'user_not_found', 'User not found')
        if (params.value.should_soft_delete) {
          // GoTrue's SoftDeleteUser: the account stays for what references it, but nobody can use it or its identities.
          await tx.query('delete from auth.sessions where user_id = $1', [id])
          await tx.query('delete from auth.identities where user_id = $1', [id])
          await tx.query(
            `update auth.users set deleted_at = now(), email = null, phone = null, encrypted_password = '',
                  raw_user_meta_data = '{}'::jsonb, raw_app_meta_data = '{}'::jsonb where id = $1`,
            [id],
          )
        } else {
          await tx.query('delete from auth.users where id = $1', [id])
        }
        logger.info('user deleted', { user_id: id, soft: params.value.should_soft_delete ?? false })
        return jsonResponse(userJson(user), 200)
      })
    }),
  )

  /** GoTrue's /invite (invite.go): a new user, unconfirmed, and an invite email to confirm through. */
  app.post(
    '/invite',
    adminOnly(async (c) => {
      const params = await readParams(c.req.raw, inviteParams)
      if (!params.ok) return params.response
      const email = checkEmail(params.value.email)
      if (!email.ok) return email.response
      const redirectTo = redirectTarget(config, c.req.query('redirect_to'))
      return db.transaction(async (tx) => {
        const existing = await findUserByEmail(tx, email.value)
        if (existing?.row.email_confirmed_at) return emailExists()
        const user =
          existing ??
          (await insertAccount(
            tx,
            { email: email.value, userMetadata: params.value.data, invited: true },
            null,
          ))
        const mail = await issueToken(ctx, tx, user.row.id, { kind: 'invite', to: email.value, redirectTo })
        ctx.outbox.send(mail)
        logger.info('user invited', { user_id: user.row.id })
        return jsonResponse(userJson((await findUser(tx, user.row.id))!), 200)
      })
    }),
  )

  /** GoTrue's /admin/generate_link (mail.go adminGenerateLink): the email's contents, handed back instead of sent. */
  app.post(
    '/admin/generate_link',
    adminOnly(async (c) => {
      const params = await readParams(c.req.raw, generateLinkParams)
      if (!params.ok) return params.response
      const p = params.value
      const email = checkEmail(p.email)
      if (!email.ok) return email.response
      const redirectTo = redirectTarget(config, p.redirect_to ?? c.req.query('redirect_to'))
      if (p.type === 'signup' && p.password !== undefined) {
        const weak = checkPassword(p.password, config)
        if (weak) return weak
      }
      const newEmail = p.type.startsWith('email_change') ? checkEmail(p.new_email) : undefined
      if (newEmail && !newEmail.ok) return newEmail.response
      const passwordHash = p.type === 'signup' ? await hashOptional(p.password) : null
      return db.transaction(async (tx) => {
        let user = await findUserByEmail(tx, email.value)
        const type = p.type === 'magiclink' && !user ? 'signup' : p.type
        let kind: 'confirmation' | 'invite' | 'magiclink' | 'recovery' | 'email_change'
        switch (type) {
          case 'signup':
            if (user?.row.email_confirmed_at) return emailExists()
            user ??= await insertAccount(tx, { email: email.value, userMetadata: p.data }, passwordHash)
            kind = 'confirmation'
            break
          case 'invite':
            if (user?.row.email_confirmed_at) return emailExists()
            user ??= await insertAccount(
              tx,
              { email: email.value, userMetadata: p.data, invited: true },
              null,
            )
            kind = 'invite'
            break
          case 'magiclink':
          case 'recovery':
            if (!user) return authError(404, 'user_not_found', 'User with this email not found')
            kind = type
            break
          case 'email_change_current':
          case 'email_change_new':
            if (!user) return authError(404, 'user_not_found', 'User with this email not found')
            if (await findUserByEmail(tx, newEmail!.ok ? newEmail!.value : '')) return emailExists()
            await tx.query('update auth.users set email_change = $2 where id = $1', [
              user.row.id,
              newEmail!.ok && newEmail!.value,
            ])
            kind = 'email_change'
            break
          default:
            return validationFailed(`Invalid email action link type requested: ${p.type}`)
        }
        const to =
          kind === 'email_change' && type === 'email_change_new' && newEmail?.ok
            ? newEmail.value
            : email.value
        const mail = await issueToken(ctx, tx, user.row.id, { kind, to, redirectTo })
        return jsonResponse(
          {
            ...userJson((await findUser(tx, user.row.id))!),
            action_link: mail.link,
            email_otp: mail.otp,
            hashed_token: mail.tokenHash,
            redirect_to: redirectTo,
            verification_type: type,
          },
          200,
        )
      })
    }),
  )

  return app
}
