import { useUi } from '../stores/ui.ts'
import { Dialog } from './Dialog.tsx'

const isMac = /Mac|iPhone|iPad/.test(navigator.platform)
export const mod = isMac ? '⌘' : 'Ctrl'

export const shortcuts: [keys: string[], what: string][] = [
  [['↑', '↓'], 'Previous / next conversation'],
  [['J', 'K'], 'Next / previous conversation'],
  [['Enter'], 'Open the selected conversation'],
  [['R'], 'Reply: focus the composer'],
  [[mod, 'K'], 'Search'],
  [['Enter'], 'Send (in the composer)'],
  [['Shift', 'Enter'], 'New line (in the composer)'],
  [[mod, 'Enter'], 'Send (in the composer)'],
  [['Esc'], 'Leave the composer or search'],
  [[mod, 'I'], 'Switch the composer between reply (SMS) and internal note'],
  [['@'], 'Mention a teammate (in a note): ↑ ↓ choose, Enter or Tab inserts'],
  [['/'], 'Saved replies (at the start of an empty reply)'],
  [[mod, '/'], 'Saved replies (anywhere in a reply)'],
  [['E'], 'Mark Done'],
  [['P'], 'Mark Pending'],
  [['O'], 'Mark Open'],
  [['U'], 'Mark unread'],
  [['A'], 'Assign the open conversation'],
  [['I'], 'Show or hide the contact panel'],
  [['1…9'], 'Switch workspace'],
  [['M'], 'Manage the workspace (owners and admins)'],
  [['N'], 'New conversation'],
  [['?'], 'Show this help'],
]

export function HelpOverlay() {
  const setHelpOpen = useUi((state) => state.setHelpOpen)
  return (
    <Dialog title="Keyboard shortcuts" onClose={() => setHelpOpen(false)}>
      <dl className="shortcuts">
        {shortcuts.map(([keys, what]) => (
          <div className="shortcut" key={`${keys.join('+')}-${what}`}>
            <dt>
              {keys.map((key) => (
                <kbd key={key}>{key}</kbd>
              ))}
            </dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
    </Dialog>
  )
}
