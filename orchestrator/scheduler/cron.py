"""Cron slots in a time zone, DST-correct, as instants (aware datetimes).

The cron expression is matched against the zone's wall clock, then each wall time is turned
into an instant:

- clocks go forward (a wall time that does not exist, 02:30 on a spring night in New York):
  the slot fires at the same distance past the gap (03:30), so no slot is lost; two wall
  times landing on one instant fire once;
- clocks go back (a wall time that occurs twice, 01:30 on an autumn night): the slot fires at
  its first occurrence only, so nothing fires twice.

Slots are strictly increasing instants: `next_after` never returns one at or before its
argument.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from croniter import croniter

NICKNAMES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
"""Kestra's cron nicknames."""


def cron_text(expression: str, with_seconds: bool = False) -> str:
    """The cron expression with nicknames expanded (and a 0 seconds field when needed)."""
    text = NICKNAMES.get(expression.strip().lower(), expression.strip())
    if with_seconds and len(text.split()) == 5:
        text = f"0 {text}"
    return text


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def instant_of(wall: datetime, zone: ZoneInfo) -> datetime:
    """The instant of a naive wall time in ``zone`` (first occurrence; past a gap)."""
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


@dataclass(frozen=True)
class CronSchedule:
    """A cron expression (5 fields, or 6 with seconds first) in a named time zone."""

    expression: str
    timezone: str = "UTC"
    with_seconds: bool = False
    # Parsing an expression costs far more than finding a date: one parsed iterator per
    # schedule, moved to each start (the scheduler decides in one thread).
    _parsed: list[croniter] = field(default_factory=list, compare=False, repr=False)
    # A firing asks for the slot after the same date twice (its next date, trigger.next).
    _recent: dict[datetime, datetime] = field(default_factory=dict, compare=False, repr=False)

    @property
    def zone(self) -> ZoneInfo:
        """The time zone."""
        return _zone(self.timezone)

    def _iterator(self, wall: datetime) -> croniter:
        if not self._parsed:
            text = cron_text(self.expression, self.with_seconds)
            self._parsed.append(croniter(text, wall, second_at_beginning=self.with_seconds))
        iterator = self._parsed[0]
        iterator.set_current(wall, force=True)
        return iterator

    def next_after(self, instant: datetime) -> datetime:
        """The first slot strictly after ``instant`` (an aware UTC datetime)."""
        known = self._recent.get(instant)
        if known is not None:
            return known
        found = self._next_after(instant)
        if len(self._recent) > 256:
            self._recent.clear()
        self._recent[instant] = found
        return found

    def _next_after(self, instant: datetime) -> datetime:
        zone = self.zone
        wall = instant.astimezone(zone).replace(tzinfo=None)
        # Going back an hour covers a repeated (fall-back) hour: a wall time of its first
        # pass converts to an instant before ``instant`` and is skipped below.
        iterator = self._iterator(wall)
        while True:
            candidate = instant_of(iterator.get_next(datetime), zone)
            if candidate > instant:
                return candidate

    def previous_before(self, instant: datetime) -> datetime | None:
        """The last slot strictly before ``instant``, or None if there is none."""
        zone = self.zone
        local = instant.astimezone(zone)
        wall = local.replace(tzinfo=None)
        if local.fold == 1:
            # In the second pass of a repeated hour no slot fires: the previous one is in
            # the first pass, up to an hour later on the wall clock.
            wall += timedelta(hours=1)
        iterator = self._iterator(wall)
        for _ in range(100_000):
            try:
                candidate = instant_of(iterator.get_prev(datetime), zone)
            except (StopIteration, ValueError):  # pragma: no cover - croniter's limits
                return None
            if candidate < instant:
                return candidate
        return None  # pragma: no cover - a guard against a runaway loop

    def slots(self, after: datetime, until: datetime) -> list[datetime]:
        """Every slot in ``(after, until]``, in order."""
        found: list[datetime] = []
        current = after
        while True:
            current = self.next_after(current)
            if current > until:
                return found
            found.append(current)

    def local(self, instant: datetime) -> datetime:
        """``instant`` on the zone's clock (for ``trigger.date``)."""
        return instant.astimezone(self.zone)


@lru_cache(maxsize=8192)
def cron_schedule(
    expression: str, timezone: str = "UTC", with_seconds: bool = False
) -> CronSchedule:
    """The (shared, parsed once) schedule of an expression in a zone."""
    return CronSchedule(expression, timezone, with_seconds)


def is_valid(expression: str, with_seconds: bool = False) -> bool:
    """Whether the expression (or nickname) is a valid cron expression."""
    text = cron_text(expression, with_seconds)
    fields = len(text.split())
    if fields != (6 if with_seconds else 5):
        return False
    return bool(croniter.is_valid(text, second_at_beginning=with_seconds))
