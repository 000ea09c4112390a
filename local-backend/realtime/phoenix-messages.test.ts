import { describe, expect, it } from 'vitest'
import {
  decodeFrame,
  encodeBinaryBroadcast,
  encodeMessage,
  encodePostgresChanges,
} from './phoenix-messages.ts'
import { anonKey, contentsOf, harnessPerFile, subscribe, userToken, waitFor } from './test-support.ts'

const harness = harnessPerFile()
const demo = () => harness().demo

describe('frames', () => {
  it('decodes both serializers to one message, and encodes each back in its own shape', () => {
    const message = { joinRef: '1', ref: '2', topic: 'realtime:room', event: 'phx_join', payload: { a: 1 } }
    const array = Buffer.from(JSON.stringify(['1', 2, 'realtime:room', 'phx_join', { a: 1 }]))
    expect(decodeFrame('2.0.0', array, false)).toMatchObject({ ok: true, message })
    const object = Buffer.from(
      JSON.stringify({ join_ref: 1, ref: '2', topic: 'realtime:room', event: 'phx_join', payload: { a: 1 } }),
    )
    expect(decodeFrame('1.0.0', object, false)).toMatchObject({ ok: true, message })
    expect(JSON.parse(encodeMessage('2.0.0', message))).toEqual([
      '1',
      '2',
      'realtime:room',
      'phx_join',
      { a: 1 },
    ])
    expect(JSON.parse(encodeMessage('1.0.0', message))).toEqual({
      join_ref: '1',
      ref: '2',
      topic: 'realtime:room',
      event: 'phx_join',
      payload: { a: 1 },
    })
  })

  it('refuses malformed frames with a reason, keeping the address when the frame gives one', () => {
    const decode = (vsn: '1.0.0' | '2.0.0', text: string) => decodeFrame(vsn, Buffer.from(text), false)
    expect(decode('2.0.0', 'not json')).toEqual({ ok: false, reason: 'frame is not JSON' })
    expect(decode('2.0.0', '["1", "2", "realtime:x", "phx_join", "no object"]')).toEqual({
      ok: false,
      reason: 'frame is not a Phoenix message array',
      joinRef: '1',
      ref: '2',
      topic: 'realtime:x',
    })
    expect(decode('1.0.0', '["1", "2", "realtime:x", "phx_join", {}]')).toMatchObject({
      ok: false,
      reason: 'frame is not a Phoenix message object',
    })
    expect(decodeFrame('1.0.0', Buffer.from([3]), true)).toEqual({
      ok: false,
      reason: 'binary frames need vsn 2.0.0',
    })
  })

  it('reads a binary broadcast push and writes the binary broadcast the client decodes', () => {
    const field = (text: string) => Buffer.from(text, 'utf8')
    const [joinRef, ref, topic, event, meta] = ['1', '7', 'realtime:room', 'typing', '{"persist":true}']
    const payload = field('{"who":"ben"}')
    const push = Buffer.concat([
      Buffer.from([3, joinRef.length, ref.length, topic.length, event.length, meta.length, 1]),
      ...[joinRef, ref, topic, event, meta].map(field),
      payload,
    ])
    const decoded = decodeFrame('2.0.0', push, true)
    expect(decoded).toMatchObject({
      ok: true,
      message: {
        joinRef: '1',
        ref: '7',
        topic,
        event: 'broadcast',
        payload: { type: 'broadcast', event: 'typing', payload: { who: 'ben' }, persist: true },
      },
      binary: { topic, userEvent: 'typing', meta: { persist: true }, encoding: 1 },
    })
    if (!decoded.ok || !decoded.binary) throw new Error('expected a binary broadcast')
    const out = encodeBinaryBroadcast(decoded.binary)
    expect([...out.subarray(0, 5)]).toEqual([4, topic.length, event.length, meta.length, 1])
    expect(out.subarray(5).toString('utf8')).toBe(`${topic}${event}${meta}{"who":"ben"}`)
    expect(decodeFrame('2.0.0', push.subarray(0, 12), true)).toEqual({
      ok: false,
      reason: 'truncated binary frame',
    })
  })

  it('splices an already serialised change into either serializer', () => {
    const data = '{"type":"INSERT"}'
    expect(JSON.parse(encodePostgresChanges('2.0.0', 'realtime:t', [4, 5], data))).toEqual([
      null,
      null,
      'realtime:t',
      'postgres_changes',
      { ids: [4, 5], data: { type: 'INSERT' } },
    ])
    expect(JSON.parse(encodePostgresChanges('1.0.0', 'realtime:t', [4], data))).toEqual({
      join_ref: null,
      ref: null,
      topic: 'realtime:t',
      event: 'postgres_changes',
      payload: { ids: [4], data: { type: 'INSERT' } },
    })
  })
})

describe('wire protocol with a raw WebSocket', () => {
  it('answers heartbeats, replies to garbage with errors, and keeps serving', async () => {
    const { ws, frames } = await harness().openSocket(`apikey=${anonKey}&vsn=2.0.0`)
    ws.send('not json at all')
    ws.send('[1, 2]')
    ws.send(JSON.stringify(['1', '2', 'realtime:x', 'phx_join', 'not an object']))
    ws.send(Buffer.from([9, 9, 9]), { binary: true })
    ws.send(
      JSON.stringify([
        null,
        '5',
        'realtime:never-joined',
        'broadcast',
        { type: 'broadcast', event: 'x', payload: {} },
      ]),
    )
    ws.send(JSON.stringify([null, '6', 'phoenix', 'heartbeat', {}]))
    await waitFor(
      () => frames.some((frame) => Array.isArray(frame) && frame[1] === '6'),
      'the heartbeat reply',
    )
    expect(frames).toContainEqual([
      '1',
      '2',
      'realtime:x',
      'phx_reply',
      expect.objectContaining({ status: 'error' }),
    ])
    expect(frames).toContainEqual([
      null,
      '5',
      'realtime:never-joined',
      'phx_reply',
      { status: 'error', response: { reason: 'unmatched topic' } },
    ])
    expect(frames).toContainEqual([null, '6', 'phoenix', 'phx_reply', { status: 'ok', response: {} }])
    expect(ws.readyState).toBe(ws.OPEN)
    expect(harness().logLines.some((line) => line.includes('realtime frame refused'))).toBe(true)
    ws.close()

    // A new client still gets served.
    const acme = await subscribe(await harness().connect(await userToken(demo().ben)), 'after-garbage', {
      event: 'INSERT',
      schema: 'public',
      table: 'messages',
    })
    const text = `after garbage ${Date.now()}`
    await harness().insertMessage(demo().acme, demo().contact('Daniel Kim'), text)
    await waitFor(() => contentsOf(acme).includes(text), 'the insert')
  })

  it('speaks vsn 1.0.0 objects: join reply ids, system message, changes, leave and close', async () => {
    const { ws, frames } = await harness().openSocket(`apikey=${anonKey}&vsn=1.0.0`)
    const binding = {
      event: 'INSERT',
      schema: 'public',
      table: 'messages',
      filter: `contact_id=in.(${demo().contact('Sophie Laurent')},${demo().contact('+17205550110')})`,
    }
    ws.send(
      JSON.stringify({
        topic: 'realtime:raw',
        event: 'phx_join',
        ref: '1',
        join_ref: '1',
        payload: { config: { postgres_changes: [binding] }, access_token: await userToken(demo().ava) },
      }),
    )
    await waitFor(() => frames.length >= 2, 'the join reply and system message')
    const [joinReply, system] = frames as Array<{
      event: string
      payload: { response: { postgres_changes: Array<Record<string, unknown>> } }
    }>
    expect(joinReply).toMatchObject({
      topic: 'realtime:raw',
      event: 'phx_reply',
      ref: '1',
      payload: { status: 'ok' },
    })
    const [serverBinding] = joinReply!.payload.response.postgres_changes
    expect(serverBinding).toMatchObject(binding)
    expect(typeof serverBinding!.id).toBe('number')
    expect(system).toMatchObject({
      event: 'system',
      join_ref: '1',
      payload: { status: 'ok', message: 'Subscribed to PostgreSQL' },
    })

    await harness().insertMessage(demo().acme, demo().contact('Marcus Reed'), 'not in the in() list')
    const id = await harness().insertMessage(demo().acme, demo().contact('+17205550110'), 'in the in() list')
    await waitFor(
      () => frames.some((frame) => (frame as { event: string }).event === 'postgres_changes'),
      'the change',
    )
    const changes = frames.filter(
      (frame) => (frame as { event: string }).event === 'postgres_changes',
    ) as Array<{
      payload: { ids: number[]; data: Record<string, unknown> }
    }>
    expect(changes).toHaveLength(1)
    expect(changes[0]!.payload.ids).toEqual([serverBinding!.id])
    expect(changes[0]!.payload.data).toMatchObject({
      type: 'INSERT',
      schema: 'public',
      table: 'messages',
      record: { id },
    })
    expect(changes[0]!.payload.data.columns).toContainEqual({ name: 'content', type: 'text' })

    ws.send(
      JSON.stringify({ topic: 'realtime:raw', event: 'phx_leave', ref: '2', join_ref: '1', payload: {} }),
    )
    await waitFor(
      () => frames.some((frame) => (frame as { event: string }).event === 'phx_close'),
      'phx_close',
    )
    expect(frames).toContainEqual(
      expect.objectContaining({ event: 'phx_reply', ref: '2', payload: { status: 'ok', response: {} } }),
    )
    expect(frames).toContainEqual(expect.objectContaining({ event: 'phx_close', ref: '1', join_ref: '1' }))
    ws.close()
  })
})
