import { useState, type ReactNode } from 'react'

/**
 * The active option of a picker whose focus stays in a text field (the field points at
 * it with aria-activedescendant). Up and Down move it, wrapping; it starts over at the
 * first option whenever `filter` changes, so typing never leaves it past the end.
 */
export function usePickerCursor(count: number, filter: string) {
  const [cursor, setCursor] = useState({ filter, at: 0 })
  const at = cursor.filter === filter ? Math.min(cursor.at, count - 1) : 0
  const active = count === 0 ? -1 : at
  return {
    active,
    setActive: (index: number) => setCursor({ filter, at: index }),
    /** Moves on ArrowUp/ArrowDown; true when it used the key. */
    move(key: string): boolean {
      if (count === 0 || (key !== 'ArrowDown' && key !== 'ArrowUp')) return false
      setCursor({ filter, at: (active + (key === 'ArrowDown' ? 1 : count - 1)) % count })
      return true
    },
  }
}

export const pickerOptionId = (listId: string, index: number) => `${listId}-option-${index}`

/** A listbox of options, one active; a click picks without taking focus from the field. */
export function PickerList<T>({
  id,
  label,
  options,
  keyOf,
  active,
  onActivate,
  onPick,
  children,
}: {
  id: string
  label: string
  options: readonly T[]
  keyOf(option: T): string
  active: number
  onActivate(index: number): void
  onPick(option: T): void
  children(option: T): ReactNode
}) {
  return (
    <ul id={id} role="listbox" aria-label={label} className="picker-list">
      {options.map((option, index) => (
        <li
          key={keyOf(option)}
          id={pickerOptionId(id, index)}
          role="option"
          aria-selected={index === active}
          className="picker-option"
          onMouseDown={(event) => event.preventDefault()}
          onMouseMove={() => index !== active && onActivate(index)}
          onClick={() => onPick(option)}
        >
          {children(option)}
        </li>
      ))}
    </ul>
  )
}
