"""Cutting text into batches of whole items (lines): by count, by size or into N parts."""

from __future__ import annotations

from orchestrator.errors import OrchestratorError


class SplitError(OrchestratorError, ValueError):
    """The batch size could not be read."""


def split_items(
    text: str,
    separator: str = "\n",
    rows: int | None = None,
    size: str | None = None,
    partitions: int | None = None,
) -> list[str]:
    """Return the batches of ``text``, each a run of whole items ending with ``separator``.

    With none of ``rows``, ``size`` and ``partitions``, every item is its own batch.

    Raises:
        SplitError: ``size`` is not a size.
    """
    items = text.split(separator)
    if items and items[-1] == "":
        items.pop()
    groups: list[list[str]]
    if partitions:
        groups = [items[index::partitions] for index in range(partitions)]
    elif size:
        limit = parse_size(size)
        groups = [[]]
        used = 0
        for item in items:
            length = len(item.encode()) + len(separator.encode())
            if groups[-1] and used + length > limit:
                groups.append([])
                used = 0
            groups[-1].append(item)
            used += length
    else:
        step = rows or 1
        groups = [items[start : start + step] for start in range(0, len(items), step)]
    return [separator.join(group) + separator for group in groups if group]


def parse_size(text: str) -> int:
    """Read ``10MB``, ``512KB``, ``1GB`` or a number of bytes.

    Raises:
        SplitError: not a size.
    """
    units = {"KB": 1024, "MB": 1024**2, "GB": 1024**3, "B": 1}
    upper = text.strip().upper()
    for unit, factor in units.items():
        number = upper[: -len(unit)].strip()
        if upper.endswith(unit) and number.replace(".", "", 1).isdigit():
            return int(float(number) * factor)
    if upper.isdigit():
        return int(upper)
    raise SplitError(f"cannot read the size {text!r}")


__all__ = ["SplitError", "parse_size", "split_items"]
