"""Task-run documents already written unchanged need not be written again.

Every flush rewrites the document of each live execution with all its task runs, though
only a few of them change from one flush to the next. This remembers a fingerprint of
each task-run document written, and skips those whose content has not changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from indexer.transform import Action

_LIMIT = 200_000  # fingerprints kept before starting over (a few tens of MB at most)


class UnchangedFilter:
    """Fingerprints of the task-run documents this indexer wrote (a bounded cache)."""

    def __init__(self, index: str) -> None:
        """Track documents written to ``index`` (the task runs alias)."""
        self._index = index
        self._written: dict[str, str] = {}

    def changed(self, actions: Iterable[Action]) -> list[Action]:
        """The actions worth sending: every action but unchanged task-run documents."""
        return [a for a in actions if not self._unchanged(a)]

    def _unchanged(self, action: Action) -> bool:
        if action.index != self._index or action.op != "index" or action.source is None:
            return False
        return self._written.get(action.id) == _fingerprint(action)

    def remember(self, written: Iterable[Action]) -> None:
        """Record the task-run documents a bulk request wrote."""
        if len(self._written) > _LIMIT:
            self._written.clear()
        for action in written:
            if action.index == self._index and action.op == "index" and action.source:
                self._written[action.id] = _fingerprint(action)

    def forget_all(self) -> None:
        """Forget everything (after deleting task runs, or losing partitions)."""
        self._written.clear()


def _fingerprint(action: Action) -> str:
    text = json.dumps(action.source, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
