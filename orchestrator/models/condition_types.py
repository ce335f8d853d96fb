"""Load-time check of trigger ``conditions``: every ``type`` must name a known condition.

Only the names are checked here (the scheduler evaluates conditions). Kestra's current
names, their ``...Condition`` spellings and the pre-0.17 ``io.kestra.core.models`` names are
accepted; a type Kestra removed is an error that names it and says what replaced it.
"""

from __future__ import annotations

import difflib
from typing import Any

_CURRENT = "io.kestra.plugin.core.condition."
_OLD = "io.kestra.core.models.conditions.types."

CONDITION_NAMES = (
    "DateTimeBetween",
    "DayWeek",
    "DayWeekInMonth",
    "ExecutionFlow",
    "ExecutionLabels",
    "ExecutionNamespace",
    "ExecutionOutputs",
    "ExecutionStatus",
    "Expression",
    "FlowCondition",
    "FlowNamespaceCondition",
    "HasRetryAttempt",
    "Not",
    "Or",
    "PublicHoliday",
    "TimeBetween",
    "Weekend",
)
"""Kestra's core condition types (class names)."""

REMOVED = {
    "MultipleCondition": "use the Flow trigger's 'preconditions' instead",
    "MultipleConditionWindow": "use the Flow trigger's 'preconditions' instead",
}
"""Condition types Kestra removed, with what replaced them."""


def _known_names() -> frozenset[str]:
    names = set()
    for short in CONDITION_NAMES:
        bare = short.removesuffix("Condition")
        for each in {short, bare, f"{bare}Condition"}:
            names.add(_CURRENT + each)
            names.add(_OLD + each)
    return frozenset(names)


KNOWN_CONDITIONS = _known_names()
"""Every accepted condition type name."""


def check_conditions(conditions: list[Any], place: str = "conditions") -> None:
    """Check the ``type`` of every condition, nested ones (``Not``, ``Or``) included.

    Raises:
        ValueError: a condition is not a map, has no ``type``, or names an unknown or
            removed type (the message names the condition's place).
    """
    for index, condition in enumerate(conditions):
        where = f"{place}[{index}]"
        if not isinstance(condition, dict):
            raise ValueError(f"{where}: a condition is a map with a 'type'")
        kind = condition.get("type")
        if not isinstance(kind, str) or not kind:
            raise ValueError(f"{where}: the condition has no 'type'")
        short = kind.rsplit(".", 1)[-1]
        if short in REMOVED and kind.startswith((_CURRENT, _OLD)):
            raise ValueError(
                f"{where}: condition type '{kind}' was removed from Kestra; {REMOVED[short]}"
            )
        if kind not in KNOWN_CONDITIONS:
            close = difflib.get_close_matches(kind, sorted(KNOWN_CONDITIONS), n=1, cutoff=0.9)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise ValueError(f"{where}: unknown condition type '{kind}'{hint}")
        nested = condition.get("conditions")
        if isinstance(nested, list):
            check_conditions(nested, f"{where}.conditions")


__all__ = ["CONDITION_NAMES", "KNOWN_CONDITIONS", "REMOVED", "check_conditions"]
