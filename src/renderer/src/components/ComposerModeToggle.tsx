import { mod } from './HelpOverlay.tsx'
import { NoteIcon, SendIcon } from './Icons.tsx'

/** The composer's two modes side by side; the pressed one is what Send does. */
export function ComposerModeToggle({ note, onChange }: { note: boolean; onChange(note: boolean): void }) {
  const title = `Switch between reply and internal note (${mod}+I)`
  return (
    <div className="mode-toggle" role="group" aria-label="Write as">
      <button
        type="button"
        className="mode-option"
        aria-pressed={!note}
        title={title}
        aria-keyshortcuts="Control+I Meta+I"
        onClick={() => onChange(false)}
      >
        <SendIcon /> Reply (SMS)
      </button>
      <button
        type="button"
        className="mode-option mode-note"
        aria-pressed={note}
        title={title}
        aria-keyshortcuts="Control+I Meta+I"
        onClick={() => onChange(true)}
      >
        <NoteIcon /> Internal note
      </button>
    </div>
  )
}
