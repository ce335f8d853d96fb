"""Trigger conditions (Kestra's ``io.kestra.plugin.core.condition.*``), evaluated purely.

`conditions_hold` is the one entry point: the scheduler calls it for schedules and flow
triggers, the REST API for webhooks. A condition is chosen by the last segment of its
``type`` without a ``Condition`` suffix, so Kestra's current names
(``io.kestra.plugin.core.condition.DayWeek``) and older ones
(``io.kestra.core.models.conditions.types.DayWeekCondition``) both work.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any, ClassVar, Literal

from pydantic import Field, ValidationError

from orchestrator.models.base import KestrelModel
from orchestrator.models.labels import Labels
from orchestrator.scheduler.errors import ConditionError, UnknownConditionError
from orchestrator.templating import TemplateError, TemplateRenderer

_TRIGGER_DATE = "{{ trigger.date }}"
_DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
DayOfWeek = Literal["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]


@dataclass(frozen=True)
class UpstreamExecution:
    """The execution a flow trigger's conditions look at."""

    id: str
    namespace: str
    flow_id: str
    state: str
    labels: Mapping[str, str] = field(default_factory=dict)
    outputs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ConditionContext:
    """What conditions are evaluated against.

    Attributes:
        variables: The template variables (``trigger``, ``flow``, ...).
        date: The trigger's date (a schedule's slot, in the trigger's zone), if any.
        execution: The upstream execution, for a flow trigger's execution conditions.
        renderer: Renders ``Expression`` conditions and non-default ``date`` properties.
    """

    variables: Mapping[str, Any] = field(default_factory=dict)
    date: datetime | None = None
    execution: UpstreamExecution | None = None
    renderer: TemplateRenderer | None = None

    def render(self, template: str) -> str:
        """Render ``template`` with the variables (a plain text is returned as it is)."""
        if "{{" not in template and "{%" not in template:
            return template
        if self.renderer is None:
            raise ConditionError(f"no renderer to evaluate {template!r}")
        try:
            return self.renderer.render(template, self.variables, property_path="conditions")
        except TemplateError as exc:
            raise ConditionError(str(exc)) from exc

    def date_of(self, template: str) -> datetime:
        """The date a condition's ``date`` property names (the trigger date by default)."""
        if template.replace(" ", "") == _TRIGGER_DATE.replace(" ", "") and self.date:
            return self.date
        text = self.render(template)
        try:
            return datetime.fromisoformat(text.strip())
        except ValueError as exc:
            raise ConditionError(f"'{template}' is not a date: {text!r}") from exc


class Condition(KestrelModel):
    """One condition; subclasses implement `holds`."""

    name: ClassVar[str] = ""
    type: str

    def holds(self, context: ConditionContext) -> bool:  # pragma: no cover - abstract
        """Whether the condition is true in ``context``."""
        raise NotImplementedError


class DayWeek(Condition):
    """True on one day of the week."""

    name: ClassVar[str] = "DayWeek"
    date: str = _TRIGGER_DATE
    day_of_week: DayOfWeek

    def holds(self, context: ConditionContext) -> bool:
        return _DAYS[context.date_of(self.date).weekday()] == self.day_of_week


class DayWeekInMonth(Condition):
    """True on the first, second, third, fourth or last given weekday of the month."""

    name: ClassVar[str] = "DayWeekInMonth"
    date: str = _TRIGGER_DATE
    day_of_week: DayOfWeek
    day_in_month: Literal["FIRST", "SECOND", "THIRD", "FOURTH", "LAST"]

    def holds(self, context: ConditionContext) -> bool:
        day = context.date_of(self.date)
        if _DAYS[day.weekday()] != self.day_of_week:
            return False
        if self.day_in_month == "LAST":
            return day.day + 7 > calendar.monthrange(day.year, day.month)[1]
        rank = ("FIRST", "SECOND", "THIRD", "FOURTH").index(self.day_in_month) + 1
        return (day.day - 1) // 7 + 1 == rank


def _time_of(text: str) -> time:
    try:
        return time.fromisoformat(text)
    except ValueError as exc:
        raise ConditionError(f"not a time such as 08:30:00 or 08:30:00+02:00: {text!r}") from exc


class TimeBetween(Condition):
    """True when the date's time of day is within ``after`` and ``before`` (inclusive)."""

    name: ClassVar[str] = "TimeBetween"
    date: str = _TRIGGER_DATE
    after: str | None = None
    before: str | None = None

    def holds(self, context: ConditionContext) -> bool:
        day = context.date_of(self.date)
        for bound, later in ((self.after, True), (self.before, False)):
            if bound is None:
                continue
            limit = _time_of(bound)
            # A bound with an offset compares the date's time at that offset.
            when = day.astimezone(limit.tzinfo) if limit.tzinfo and day.tzinfo else day
            current = when.time().replace(tzinfo=None)
            limit = limit.replace(tzinfo=None)
            if (later and current < limit) or (not later and current > limit):
                return False
        return True


class DateTimeBetween(Condition):
    """True when the date is within ``after`` and ``before`` (inclusive)."""

    name: ClassVar[str] = "DateTimeBetween"
    date: str = _TRIGGER_DATE
    after: datetime | None = None
    before: datetime | None = None

    def holds(self, context: ConditionContext) -> bool:
        day = context.date_of(self.date)
        if self.after is not None and day < self.after:
            return False
        return self.before is None or day <= self.before


class Weekend(Condition):
    """True on Saturdays and Sundays."""

    name: ClassVar[str] = "Weekend"
    date: str = _TRIGGER_DATE

    def holds(self, context: ConditionContext) -> bool:
        return context.date_of(self.date).weekday() >= 5


class PublicHoliday(Condition):
    """True on a public holiday of ``country`` (and ``subDivision``), per `holidays`."""

    name: ClassVar[str] = "PublicHoliday"
    date: str = _TRIGGER_DATE
    country: str | None = None
    sub_division: str | None = None

    def holds(self, context: ConditionContext) -> bool:
        import holidays

        day = context.date_of(self.date)
        country = self.country or "US"
        try:
            calendar_ = holidays.country_holidays(country, subdiv=self.sub_division)
        except NotImplementedError as exc:
            raise ConditionError(f"PublicHoliday: unknown country {country!r}") from exc
        return day.date() in calendar_


class Not(Condition):
    """True when none of ``conditions`` holds."""

    name: ClassVar[str] = "Not"
    conditions: list[dict[str, Any]] = Field(min_length=1)

    def holds(self, context: ConditionContext) -> bool:
        return not any(each.holds(context) for each in parse_conditions(self.conditions))


class Or(Condition):
    """True when at least one of ``conditions`` holds."""

    name: ClassVar[str] = "Or"
    conditions: list[dict[str, Any]] = Field(min_length=1)

    def holds(self, context: ConditionContext) -> bool:
        return any(each.holds(context) for each in parse_conditions(self.conditions))


def _truthy(text: str) -> bool:
    return text.strip().lower() not in ("", "false", "0", "null", "none")


class Expression(Condition):
    """True when ``expression`` renders to a true value."""

    name: ClassVar[str] = "Expression"
    expression: str

    def holds(self, context: ConditionContext) -> bool:
        return _truthy(context.render(self.expression))


def _upstream(context: ConditionContext, name: str) -> UpstreamExecution:
    if context.execution is None:
        raise ConditionError(f"a {name} condition needs an execution: use it on a Flow trigger")
    return context.execution


class ExecutionStatus(Condition):
    """True when the upstream execution's state is in ``in`` and not in ``notIn``."""

    name: ClassVar[str] = "ExecutionStatus"
    in_: list[str] = Field(default_factory=list, alias="in")
    not_in: list[str] = Field(default_factory=list)

    def holds(self, context: ConditionContext) -> bool:
        state = _upstream(context, self.name).state
        return (not self.in_ or state in self.in_) and state not in self.not_in


class ExecutionFlow(Condition):
    """True when the upstream execution is of flow ``namespace``.``flowId``."""

    name: ClassVar[str] = "ExecutionFlow"
    namespace: str
    flow_id: str

    def holds(self, context: ConditionContext) -> bool:
        upstream = _upstream(context, self.name)
        return upstream.namespace == self.namespace and upstream.flow_id == self.flow_id


class ExecutionNamespace(Condition):
    """True when the upstream execution's namespace equals (or starts, ends with) one."""

    name: ClassVar[str] = "ExecutionNamespace"
    namespace: str
    comparison: Literal["EQUALS", "PREFIX", "SUFFIX"] | None = None
    prefix: bool = False

    def holds(self, context: ConditionContext) -> bool:
        namespace = _upstream(context, self.name).namespace
        comparison = self.comparison or ("PREFIX" if self.prefix else "EQUALS")
        if comparison == "PREFIX":
            return namespace == self.namespace or namespace.startswith(f"{self.namespace}.")
        if comparison == "SUFFIX":
            return namespace.endswith(self.namespace)
        return namespace == self.namespace


class ExecutionLabels(Condition):
    """True when the upstream execution carries every one of ``labels``."""

    name: ClassVar[str] = "ExecutionLabels"
    labels: Labels

    def holds(self, context: ConditionContext) -> bool:
        present = _upstream(context, self.name).labels
        return all(present.get(label.key) == label.value for label in self.labels)


class ExecutionOutputs(Condition):
    """True when ``expression`` (over ``trigger.outputs``) renders to a true value."""

    name: ClassVar[str] = "ExecutionOutputs"
    expression: str

    def holds(self, context: ConditionContext) -> bool:
        _upstream(context, self.name)
        return _truthy(context.render(self.expression))


CONDITION_TYPES: dict[str, type[Condition]] = {
    each.name: each
    for each in (
        DayWeek,
        DayWeekInMonth,
        TimeBetween,
        DateTimeBetween,
        Weekend,
        PublicHoliday,
        Not,
        Or,
        Expression,
        ExecutionStatus,
        ExecutionFlow,
        ExecutionNamespace,
        ExecutionLabels,
        ExecutionOutputs,
    )
}
"""Every condition type, by its short name (``DayWeek``)."""


def parse_condition(raw: Mapping[str, Any] | Condition, where: str = "conditions") -> Condition:
    """Parse one condition from its YAML mapping.

    Raises:
        ConditionError: Unknown type or invalid properties, naming ``where``.
    """
    if isinstance(raw, Condition):
        return raw
    type_name = str(raw.get("type", ""))
    short = type_name.rsplit(".", 1)[-1].removesuffix("Condition")
    condition_type = CONDITION_TYPES.get(short)
    if condition_type is None:
        known = ", ".join(sorted(CONDITION_TYPES))
        raise UnknownConditionError(
            f"{where}: unknown condition type {type_name!r} (known: {known})"
        )
    try:
        return condition_type.model_validate(dict(raw))
    except ValidationError as exc:
        details = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        raise ConditionError(f"{where} ({short}): {details}") from None


def check_conditions(raw: Sequence[Mapping[str, Any]]) -> list[str]:
    """Validate conditions at load time; return the types Kestrel does not know.

    An unknown type does not make the flow invalid (a Kestra flow must still deploy); the
    trigger reports it when it is evaluated.

    Raises:
        ConditionError: A known condition has invalid properties.
    """
    unknown = []
    for index, each in enumerate(raw):
        try:
            condition = parse_condition(each, f"conditions[{index}]")
        except UnknownConditionError:
            unknown.append(str(each.get("type")))
            continue
        if isinstance(condition, Not | Or):
            unknown += check_conditions(condition.conditions)
    return unknown


def parse_conditions(raw: Sequence[Mapping[str, Any] | Condition]) -> list[Condition]:
    """Parse a list of conditions (see `parse_condition`)."""
    return [parse_condition(each, f"conditions[{index}]") for index, each in enumerate(raw)]


def conditions_hold(
    conditions: Sequence[Mapping[str, Any] | Condition], context: ConditionContext
) -> bool:
    """Whether every condition holds (no conditions: true).

    Raises:
        ConditionError: A condition is invalid or cannot be evaluated in ``context``.
    """
    return all(each.holds(context) for each in parse_conditions(conditions))


__all__ = [
    "CONDITION_TYPES",
    "Condition",
    "ConditionContext",
    "ConditionError",
    "UnknownConditionError",
    "UpstreamExecution",
    "check_conditions",
    "conditions_hold",
    "parse_condition",
    "parse_conditions",
]
