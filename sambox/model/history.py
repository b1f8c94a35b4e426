"""Undo / redo over document snapshots (states are immutable, so storing them is cheap)."""

from __future__ import annotations

from dataclasses import dataclass

from sambox.model.document import Snapshot


@dataclass(frozen=True)
class _Entry:
    label: str
    state: Snapshot


class History:
    """Two stacks of labelled snapshots; `record` is called with the state *before* an edit."""

    def __init__(self, limit: int = 500) -> None:
        self._undo: list[_Entry] = []
        self._redo: list[_Entry] = []
        self._limit = limit

    def record(self, label: str, before: Snapshot) -> None:
        self._undo.append(_Entry(label, before))
        del self._undo[: -self._limit]
        self._redo.clear()

    def undo(self, current: Snapshot) -> Snapshot | None:
        """The state to go back to (and remember `current` for redo), or None if nothing to undo."""
        if not self._undo:
            return None
        entry = self._undo.pop()
        self._redo.append(_Entry(entry.label, current))
        return entry.state

    def redo(self, current: Snapshot) -> Snapshot | None:
        if not self._redo:
            return None
        entry = self._redo.pop()
        self._undo.append(_Entry(entry.label, current))
        return entry.state

    def clear(self) -> None:
        self._undo.clear()
        self._redo.clear()

    @property
    def undo_label(self) -> str | None:
        return self._undo[-1].label if self._undo else None

    @property
    def redo_label(self) -> str | None:
        return self._redo[-1].label if self._redo else None
