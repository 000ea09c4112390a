import { useMemo } from 'react'
import { gsm7Rewrite } from '../../../shared/gsm-lookalikes.ts'
import { countSmsSegments } from '../../../shared/sms-segments.ts'
import { focusTargets } from '../stores/ui.ts'

function codePoint(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`
}

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`

/**
 * What a reply will cost before it is sent: its segments and encoding, every character
 * that forces UCS-2, a one-click rewrite of typographic lookalikes when that alone makes
 * the reply GSM-7, and a warning past the workspace's segment limit.
 */
export function SegmentCounter({
  text,
  segmentLimit,
  onReplace,
}: {
  text: string
  segmentLimit: number
  onReplace: (text: string) => void
}) {
  const info = useMemo(() => countSmsSegments(text), [text])
  const rewrite = useMemo(() => gsm7Rewrite(text), [text])
  if (info.characters === 0)
    return <span className="counter muted small">SMS · 160 characters per segment</span>
  return (
    <div className="counter small" data-testid="sms-counter">
      <span aria-live="polite">
        {plural(info.characters, 'character', 'characters')} · {plural(info.segments, 'segment', 'segments')}{' '}
        · {info.encoding}
        <span className="counter-detail">
          {' '}
          ({info.perSegment}/segment, {info.remaining} left)
        </span>
      </span>
      {info.forcingUcs2.length > 0 && (
        <span className="counter-warn" data-testid="sms-offending">
          {' '}
          · UCS-2 because of{' '}
          <ul className="offending-list" aria-label="Characters that force UCS-2">
            {info.forcingUcs2.map((char) => (
              <li key={char}>
                <mark className="offending">{char.trim() ? char : '␣'}</mark> {codePoint(char)}
              </li>
            ))}
          </ul>
        </span>
      )}
      {rewrite && (
        <span className="counter-fix">
          {' '}
          <button
            type="button"
            className="link"
            title={`Replaces ${rewrite.replaced.join(' ')} with plain characters`}
            onClick={() => {
              onReplace(rewrite.text)
              // The button goes with the characters it replaced: keep the keyboard in the reply.
              focusTargets.composer()
            }}
          >
            Replace smart quotes
          </button>{' '}
          (GSM-7, {plural(rewrite.segments, 'segment', 'segments')})
        </span>
      )}
      {info.segments > segmentLimit && (
        <span className="counter-over" role="status" data-testid="sms-over-limit">
          {plural(info.segments, 'segment', 'segments')} is over this workspace’s limit of {segmentLimit}:
          each segment is billed.
        </span>
      )}
    </div>
  )
}
