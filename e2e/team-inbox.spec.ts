import { expect, test } from '@playwright/test'
import { notifications, rowNamed, rows } from './support/page.ts'
import { answerBlind, startTwoAgents, type TwoAgents } from './support/two-agents.ts'

// Issue 18: two agents of Acme Support at two desks, each with their own app and browser.
let team: TwoAgents

test.beforeAll(async ({ browser }) => {
  team = await startTwoAgents(browser)
})
test.afterAll(async () => {
  await team?.close()
})

test('two agents of one workspace: a reply by one reaches the other’s open thread live', async () => {
  const { ava, ben } = team
  for (const agent of [ava, ben]) {
    await expect(agent.page.getByTestId('connection-status')).toHaveText('Live', { timeout: 30_000 })
    await rowNamed(agent.page, 'Carlos Mendes').click()
  }
  const composer = ava.page.getByRole('textbox', { name: /Reply to/ })
  await composer.fill('Ava here: your exchange is approved.')
  await composer.press('Enter')
  const onBen = ben.page.getByTestId('message').filter({ hasText: 'Ava here: your exchange is approved.' })
  await expect(onBen).toHaveAttribute('data-status', 'delivered')
  expect(
    team.double.requests.filter((request) => request.params.Body === 'Ava here: your exchange is approved.'),
  ).toHaveLength(1)
})

test('presence: each sees where the other is, on the conversation row and in the thread, and when they type', async () => {
  const { ava, ben } = team
  for (const agent of [ava, ben]) {
    await expect(agent.page.getByTestId('connection-status')).toHaveText('Live', { timeout: 30_000 })
  }
  await rowNamed(ava.page, 'Victor Chen').click()
  const avatarOnBensRow = rowNamed(ben.page, 'Victor Chen').getByTestId('presence-avatar')
  await expect(avatarOnBensRow).toHaveText('AT')
  await expect(avatarOnBensRow).toHaveAttribute('title', 'Ava Thompson is viewing')
  await rowNamed(ben.page, 'Victor Chen').click()
  const onBen = ben.page.getByTestId('thread-presence')
  await expect(onBen).toContainText('Ava is viewing')
  await expect(ava.page.getByTestId('thread-presence')).toContainText('Ben is viewing')

  await ava.page.getByRole('textbox', { name: /Reply to/ }).pressSequentially('On it')
  await expect(onBen).toContainText('Ava is typing…')
  // Typing expires on its own once she stops.
  await expect(onBen).toContainText('Ava is viewing', { timeout: 15_000 })

  await rowNamed(ava.page, 'Emily Nguyen').click()
  await expect(onBen).toHaveCount(0)
  await expect(rowNamed(ben.page, 'Emily Nguyen').getByTestId('presence-avatar')).toHaveText('AT')
  await expect(avatarOnBensRow).toHaveCount(0)
})

test('no two agents answer blind: the second reply is held back, showing what came first, until its author edits it', async () => {
  const { ava, ben } = team
  await answerBlind(team, 'Isabella Rossi', 'Ava: your order ships today.', 'Ben: it ships next week.')
  ben.screen.release()

  const notice = ben.page.getByTestId('held-reply')
  await expect(notice).toContainText('teammates sent 1 reply')
  await expect(notice.getByTestId('held-reply-arrived')).toHaveText([
    /Ava Thompson.*Ava: your order ships today\./,
  ])
  await expect(notice).toContainText('Ben: it ships next week.')
  const benComposer = ben.page.getByRole('textbox', { name: /Reply to/ })
  const benBubble = ben.page.getByTestId('message').filter({ hasText: 'Ben: it ships next week.' })
  await expect(benBubble).toHaveAttribute('data-status', 'failed')
  expect(
    team.double.requests.filter((request) => request.params.Body === 'Ben: it ships next week.'),
  ).toEqual([])
  await expect(ava.page.getByTestId('message').filter({ hasText: 'Ben: it ships next week.' })).toHaveCount(0)

  await notice.getByRole('button', { name: 'Edit' }).click()
  await expect(notice).toHaveCount(0)
  await expect(benBubble).toHaveCount(0)
  await expect(benComposer).toHaveValue('Ben: it ships next week.')
  // Now he has seen Ava's reply: his edited answer goes out.
  await benComposer.fill('Ben: as Ava said, it ships today.')
  await benComposer.press('Enter')
  await expect(
    ava.page.getByTestId('message').filter({ hasText: 'Ben: as Ava said, it ships today.' }),
  ).toHaveAttribute('data-status', 'delivered')
})

test('live assignment: Ava gives a conversation to Ben by keyboard; it is in his Mine with its unread count, without a reload', async () => {
  const { ava, ben, backend, demo } = team
  // An unassigned Acme conversation with replies by the team, not one the tests above use.
  const { rows: picked } = await backend.db.query<{ name: string; phone_number: string }>(
    `select c.name, c.phone_number from public.contacts c
      where c.workspace_id = $1 and c.assignee_id is null and c.name is not null and c.name not in ('Carlos Mendes', 'Isabella Rossi')
        and exists (select 1 from public.messages m where m.contact_id = c.id and m.created_by is not null)
      order by c.name limit 1`,
    [demo.acme],
  )
  const { name, phone_number: phone } = picked[0]!
  const mineUnread = async () =>
    (
      await backend.db.query<{ n: number }>(
        'select coalesce(sum(unread_count), 0)::int as n from public.contacts where workspace_id = $1 and assignee_id = $2',
        [demo.acme, demo.ben],
      )
    ).rows[0]!.n

  for (const agent of [ava, ben])
    await expect(agent.page.getByTestId('connection-status')).toHaveText('Live', { timeout: 30_000 })
  for (const agent of [ava, ben]) await agent.page.getByTestId('filter-All').click()
  await ben.page.getByTestId('view-mine').click()
  await expect(rowNamed(ben.page, name)).toHaveCount(0)

  await rowNamed(ava.page, name).click()
  const thread = ava.page.getByRole('main', { name: `Conversation with ${name}` })
  await expect(thread.getByRole('button', { name: 'Assignee: Unassigned' })).toBeVisible()
  // Every reply in the thread is signed by its author's name (read once the thread's rows are on screen).
  await expect(thread.getByTestId('message-author').first()).toBeVisible()
  const authors = await thread.getByTestId('message-author').allTextContents()
  expect(authors.length).toBeGreaterThan(0)
  for (const author of authors) expect(author).toMatch(/^(Ava Thompson|Ben Okafor) · $/)

  await ava.page.locator('body').click({ position: { x: 5, y: 5 } })
  await ava.page.keyboard.press('a')
  const menu = ava.page.getByRole('menu', { name: 'Assign to' })
  await expect(menu.getByRole('menuitemradio', { name: 'Unassigned' })).toBeFocused()
  await ava.page.keyboard.press('ArrowDown')
  await ava.page.keyboard.press('ArrowDown')
  await expect(menu.getByRole('menuitemradio', { name: 'Ben Okafor' })).toBeFocused()
  await ava.page.keyboard.press('Enter')
  await expect(thread.getByRole('button', { name: 'Assignee: Ben Okafor' })).toBeVisible()
  await expect(thread.getByTestId('assignee-button')).toBeFocused()
  await expect(rowNamed(ava.page, name).getByTestId('row-owner')).toHaveAttribute(
    'title',
    'Assigned to Ben Okafor',
  )

  // Ben's Mine view fills live. A text while Ava looks elsewhere stays unread, and counts in his Mine.
  await expect(rowNamed(ben.page, name)).toHaveCount(1)
  await rows(ava.page)
    .filter({ hasNot: ava.page.locator('.row-name', { hasText: name }) })
    .first()
    .click()
  await team.inbound(phone, 'Is anyone there? Still waiting on this.')
  await expect(rowNamed(ben.page, name).getByTestId('unread-badge')).toHaveText(/^1\s*unread$/)
  await expect.poll(mineUnread).toBeGreaterThan(0)
  await expect(ben.page.getByTestId('view-mine-unread')).toHaveText(`${await mineUnread()} unread`)

  const { rows: recorded } = await backend.db.query<{ assignee_id: string; assigned_by: string }>(
    `select a.assignee_id, a.assigned_by from public.conversation_assignments a
       join public.contacts c on c.id = a.contact_id where c.phone_number = $1 and c.workspace_id = $2`,
    [phone, demo.acme],
  )
  expect(recorded).toEqual([{ assignee_id: demo.ben, assigned_by: demo.ava }])
})

test('the contact panel: Ava renames the contact, Ben sees the new name live in his row, thread header and panel', async () => {
  const { ava, ben } = team
  for (const agent of [ava, ben]) {
    await expect(agent.page.getByTestId('connection-status')).toHaveText('Live', { timeout: 30_000 })
    await rowNamed(agent.page, 'Tom Becker').click()
  }
  // Ben opens the panel from the keyboard, Ava from the header's button.
  await ben.page.locator('body').press('i')
  const benPanel = ben.page.getByRole('complementary', { name: 'Contact details' })
  await expect(benPanel.getByTestId('contact-name')).toHaveText('Tom Becker')
  await ava.page.getByTestId('contact-panel-toggle').click()
  const avaPanel = ava.page.getByRole('complementary', { name: 'Contact details' })
  await expect(avaPanel.getByTestId('contact-number')).toHaveText(/\d{3}.*\d{4}$/)
  const total = Number(await avaPanel.getByTestId('contact-total').textContent())
  expect(total).toBeGreaterThan(0)
  // Tom texts STOP to the workspace number: both panels add the number with his opt-out, live.
  await team.inbound('+16175550104', 'STOP')
  for (const panel of [avaPanel, benPanel]) {
    await expect(panel.getByTestId('contact-total')).toHaveText(String(total + 1))
    const row = panel.getByTestId('contact-number-row').filter({ hasText: 'Opted out' })
    await expect(row.getByTestId('contact-consent')).toHaveText(/^Opted out with STOP, /)
    await expect(row).toContainText('1 message: 1 received, 0 sent')
  }

  await avaPanel.getByRole('button', { name: 'Edit name' }).click()
  const name = avaPanel.getByRole('textbox', { name: 'Name' })
  await name.fill('   ')
  await name.press('Enter')
  await expect(avaPanel.getByRole('alert')).toHaveText('Invalid name: A contact’s name cannot be empty.')
  await name.fill('Tom Becker (wholesale)')
  await name.press('Enter')
  await expect(avaPanel.getByTestId('contact-name')).toHaveText('Tom Becker (wholesale)')

  await expect(rowNamed(ben.page, 'Tom Becker (wholesale)')).toBeVisible()
  await expect(ben.page.getByRole('heading', { level: 2, name: 'Tom Becker (wholesale)' })).toBeVisible()
  await expect(benPanel.getByTestId('contact-name')).toHaveText('Tom Becker (wholesale)')

  await ben.page.locator('body').press('i')
  await expect(benPanel).toHaveCount(0)
})

/** Both agents live, looking at every conversation of every status. */
async function seeEverything(team: TwoAgents) {
  for (const agent of [team.ava, team.ben]) {
    await expect(agent.page.getByTestId('connection-status')).toHaveText('Live', { timeout: 30_000 })
    await agent.page.getByTestId('view-all').click()
    await agent.page.getByTestId('filter-All').click()
  }
}

test('a note mentioning Ben, written by keyboard, reaches him as a notification and in the thread, never as SMS', async () => {
  const { ava, ben } = team
  await seeEverything(team)
  const text = 'can you check the refund before we reply?'
  await rowNamed(ava.page, 'Marcus Reed').click()
  const reply = ava.page.getByRole('textbox', { name: 'Reply to Marcus Reed' })
  await reply.focus()
  await ava.page.keyboard.press('ControlOrMeta+i')
  const note = ava.page.getByRole('textbox', { name: 'Internal note on Marcus Reed' })
  await expect(note).toBeFocused()
  await expect(ava.page.getByRole('button', { name: 'Internal note' })).toHaveAttribute(
    'aria-pressed',
    'true',
  )
  await expect(ava.page.getByRole('form', { name: 'Internal note' })).toHaveClass(/composer-note/)

  await note.pressSequentially('@Be')
  const picker = ava.page.getByRole('listbox', { name: 'Mention a teammate' })
  await expect(picker.getByRole('option')).toHaveText([/Ben Okafor/])
  const active = await note.getAttribute('aria-activedescendant')
  await expect(picker.getByRole('option', { name: /Ben Okafor/ })).toHaveAttribute('id', active!)
  await ava.page.keyboard.press('Tab')
  await expect(picker).toHaveCount(0)
  await expect(note).toHaveValue('@Ben Okafor ')
  await note.pressSequentially(text)
  const relayed = team.double.requests.length
  await note.press('Enter')

  const onAva = ava.page
    .getByRole('article', { name: 'Internal note by Ava Thompson' })
    .filter({ hasText: text })
  await expect(onAva.locator('.mention')).toHaveText('@Ben Okafor')
  await expect(note).toHaveValue('')
  await expect
    .poll(async () => (await notifications(ben.page)).filter((shown) => shown.body?.includes(text)))
    .toEqual([expect.objectContaining({ title: 'Ava Thompson mentioned you · Marcus Reed · Acme Support' })])
  await rowNamed(ben.page, 'Marcus Reed').click()
  const onBen = ben.page
    .getByRole('article', { name: 'Internal note by Ava Thompson' })
    .filter({ hasText: text })
  await expect(onBen.locator('.mention')).toHaveText('@Ben Okafor')
  // A note goes to the notes table, never through the relay to Twilio.
  expect(
    team.double.requests.slice(relayed).filter((request) => request.params.Body?.includes(text)),
  ).toEqual([])

  // Switching back by the toggle makes the composer a reply again.
  await ava.page.getByRole('button', { name: 'Reply (SMS)' }).click()
  await expect(ava.page.getByRole('textbox', { name: 'Reply to Marcus Reed' })).toBeFocused()
})

test('a saved reply chosen with / goes out with the contact’s first name filled in, counted as sent', async () => {
  const { ava, ben } = team
  await seeEverything(team)
  await rowNamed(ava.page, 'Liam Walsh').click()
  const reply = ava.page.getByRole('textbox', { name: 'Reply to Liam Walsh' })
  await reply.press('/')
  const search = ava.page.getByRole('combobox', { name: 'Search saved replies' })
  await expect(search).toBeFocused()
  await search.pressSequentially('order upd')
  const list = ava.page.getByRole('listbox', { name: 'Saved replies' })
  await expect(list.getByRole('option')).toHaveCount(1)
  await expect(list.getByRole('option')).toContainText('Hi Liam, your order is on its way.')
  await search.press('Enter')

  const expanded = 'Hi Liam, your order is on its way. You will get a tracking link by email today.'
  await expect(reply).toBeFocused()
  await expect(reply).toHaveValue(expanded)
  await expect(ava.page.getByTestId('sms-counter')).toContainText(`${expanded.length} characters`)
  await reply.press('Enter')
  await expect(ava.page.getByTestId('message').filter({ hasText: expanded })).toHaveAttribute(
    'data-status',
    'delivered',
  )
  expect(team.double.requests.filter((request) => request.params.Body === expanded)).toHaveLength(1)
  expect(team.double.requests.filter((request) => request.params.Body?.includes('{{'))).toEqual([])
  await expect(rowNamed(ben.page, 'Liam Walsh')).toContainText(expanded)
})

test('a saved reply whose variable has no value here is shown as a problem and cannot be sent', async () => {
  const { ava } = team
  await seeEverything(team)
  // The seed's contact without a name: {{first_name}} has nothing to fill it with.
  const nameless = rows(ava.page).filter({ hasText: '555-0110' }).first()
  await nameless.click()
  const reply = ava.page.getByRole('textbox', { name: /^Reply to/ })
  await reply.focus()
  await ava.page.keyboard.press('ControlOrMeta+/')
  await ava.page.getByRole('combobox', { name: 'Search saved replies' }).pressSequentially('closing')
  await ava.page.keyboard.press('Enter')
  await expect(reply).toHaveValue(/^Glad we could help, \{\{first_name\}\}!/)
  await expect(ava.page.getByTestId('variable-problem')).toContainText('{{first_name}} has no value here')
  await expect(ava.page.getByRole('button', { name: 'Send' })).toBeDisabled()
  const relayed = team.double.requests.length
  await reply.press('Enter')
  await expect(reply).toHaveValue(/\{\{first_name\}\}/)
  await reply.fill('Glad we could help! Text us any time if anything else comes up.')
  await expect(ava.page.getByTestId('variable-problem')).toHaveCount(0)
  expect(team.double.requests.slice(relayed)).toEqual([])
})
