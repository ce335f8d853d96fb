"""The chaos run's figures: one line per figure, each an invariant or for information."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Line:
    """One figure. ``ok`` None: information only; ``gap``: a known product gap."""

    label: str
    value: str
    ok: bool | None = None
    gap: str | None = None

    @property
    def status(self) -> str:
        if self.ok is None:
            return ""
        if self.ok:
            return "ok"
        return "KNOWN GAP" if self.gap else "FAIL"


@dataclass
class Figures:
    """Every line of a run, in the order they are printed."""

    lines: list[Line] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(
        self, label: str, value: object, ok: bool | None = None, gap: str | None = None
    ) -> None:
        self.lines.append(Line(label, str(value), ok, gap))

    def failures(self, strict: bool = False) -> list[Line]:
        """Failed invariants; known gaps count only when ``strict``."""
        return [line for line in self.lines if line.ok is False and (strict or line.gap is None)]

    def gaps(self) -> list[Line]:
        return [line for line in self.lines if line.ok is False and line.gap is not None]

    def table(self) -> str:
        width = max(len(line.label) for line in self.lines)
        values = max(len(line.value) for line in self.lines)
        rows = [
            f"  {line.label:<{width}}  {line.value:<{values}}  {line.status}".rstrip()
            for line in self.lines
        ]
        gaps = [f"  known gap, {line.label}: {line.gap}" for line in self.gaps()]
        notes = [f"  note: {note}" for note in self.notes]
        return "\n".join(["chaos run:", *rows, *gaps, *notes])
