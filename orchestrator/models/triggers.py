"""Trigger types: cron schedules, flow triggers (on another flow's end) and webhooks.

Models validated at load time; the scheduler (orchestrator/scheduler) gives them behaviour.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    SerializeAsAny,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
)

from orchestrator.models.base import KestrelModel
from orchestrator.models.duration import Duration
from orchestrator.models.labels import Labels
from orchestrator.tasks.catalog import BUILTIN_TRIGGERS
from orchestrator.tasks.registry import TRIGGER_ENTRY_POINT_GROUP, TypeRegistry, UnknownTypeError

TERMINAL_STATES = ("SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED", "SKIPPED")
"""The states a Flow trigger listens to when it names none (Kestra's terminated states)."""


class Trigger(KestrelModel):
    """Common properties of every trigger."""

    type_name: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()

    id: str = Field(pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$")
    type: str
    description: str | None = None
    disabled: bool = False
    inputs: dict[str, Any] = Field(default_factory=dict)
    labels: Labels = ()
    conditions: list[dict[str, Any]] = Field(default_factory=list)
    # States of the execution it started after which the trigger disables itself.
    stop_after: list[str] = Field(default_factory=list)

    @field_validator("conditions")
    @classmethod
    def _valid_conditions(cls, conditions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        from orchestrator.scheduler.conditions import ConditionError, check_conditions

        try:
            check_conditions(conditions)
        except ConditionError as exc:
            raise ValueError(str(exc)) from None
        return conditions


class Backfill(KestrelModel):
    """Replay the schedule's missed dates from ``start`` (to ``end``, or now).

    Kestra accepts an empty ``backfill: {}``: no start, no backfill.
    """

    start: datetime | None = None
    end: datetime | None = None


class Schedule(Trigger):
    """Start an execution at each date of a cron ``expression`` in ``timezone``."""

    type_name: ClassVar[str] = "kestrel.core.trigger.Schedule"

    # Kestra calls it `cron`; older flows say `expression` (accepted as the field name).
    expression: str = Field(alias="cron")
    timezone: str = "UTC"
    with_seconds: bool = False
    backfill: Backfill | None = None
    late_maximum_delay: Duration | None = None
    # What to fire for the slots missed while the scheduler was down or the trigger
    # disabled: every one (the default), the last one, or none.
    recover_missed_schedules: Literal["ALL", "LAST", "NONE"] | None = None

    @field_validator("expression")
    @classmethod
    def _valid_cron(cls, expression: str, info: ValidationInfo) -> str:
        from orchestrator.scheduler.cron import is_valid

        with_seconds = bool(info.data.get("with_seconds", False))
        if not is_valid(expression, with_seconds) and not is_valid(expression, True):
            raise ValueError(f"invalid cron expression '{expression}'")
        return expression

    @field_validator("timezone")
    @classmethod
    def _valid_zone(cls, zone: str) -> str:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone '{zone}'") from exc
        return zone


class UpstreamFlow(KestrelModel):
    """A flow whose executions a Flow trigger's preconditions wait for."""

    namespace: str
    flow_id: str
    states: list[str] = Field(default_factory=lambda: ["SUCCESS"])
    labels: Labels = ()


class WhereFilter(KestrelModel):
    """One filter of a ``where`` precondition, on the upstream execution."""

    field: Literal["FLOW_ID", "NAMESPACE", "STATE", "EXPRESSION"]
    type: Literal["EQUAL_TO", "NOT_EQUAL_TO", "IN", "NOT_IN", "STARTS_WITH", "ENDS_WITH", "IS_TRUE"]
    value: Any = None
    values: list[str] = Field(default_factory=list)


class WherePrecondition(KestrelModel):
    """Any upstream execution matching ``filters`` (all with AND, any with OR)."""

    id: str
    operand: Literal["AND", "OR"] = "AND"
    filters: list[WhereFilter] = Field(min_length=1)


class TimeWindow(KestrelModel):
    """The period in which every precondition must be met."""

    type: Literal[
        "DURATION_WINDOW", "SLIDING_WINDOW", "DAILY_TIME_DEADLINE", "DAILY_TIME_WINDOW"
    ] = "DURATION_WINDOW"
    window: Duration | None = None
    window_advance: Duration | None = None
    deadline: str | None = None
    start_time: str | None = None
    end_time: str | None = None


class Preconditions(KestrelModel):
    """Fire once every upstream flow (and ``where`` filter) was satisfied within a window."""

    id: str | None = None
    flows: list[UpstreamFlow] = Field(default_factory=list)
    where: list[WherePrecondition] = Field(default_factory=list)
    time_window: TimeWindow = Field(default_factory=TimeWindow)
    reset_on_success: bool = True


class FlowTrigger(Trigger):
    """Start an execution when another execution ends and the ``conditions`` match."""

    type_name: ClassVar[str] = "kestrel.core.trigger.Flow"

    states: list[str] = Field(default_factory=list)
    preconditions: Preconditions | None = None

    def listens_to(self, state: str) -> bool:
        """Whether an execution ending in ``state`` concerns this trigger."""
        return state in (self.states or TERMINAL_STATES)


class Webhook(Trigger):
    """Start an execution when a request arrives at ``/webhook/{namespace}/{flow}/{key}``."""

    type_name: ClassVar[str] = "kestrel.core.trigger.Webhook"

    key: str = Field(min_length=1)
    # Answered by the REST API's webhook endpoint: wait for the execution's end, return its
    # outputs, with this content type.
    wait: bool = False
    return_outputs: bool = False
    response_content_type: str | None = None


def _build_trigger_registry() -> TypeRegistry[Trigger]:
    registry: TypeRegistry[Trigger] = TypeRegistry("trigger", Trigger, TRIGGER_ENTRY_POINT_GROUP)
    for name, (target, aliases) in BUILTIN_TRIGGERS.items():
        registry.register(name, target, aliases)
    return registry


TRIGGER_TYPES = _build_trigger_registry()
"""Every trigger type Kestrel knows."""


def _validate_trigger(value: Any, handler: ValidatorFunctionWrapHandler) -> Trigger:
    if isinstance(value, Trigger) or not isinstance(value, dict):
        return handler(value)  # type: ignore[no-any-return]
    try:
        trigger_class = TRIGGER_TYPES.resolve(str(value.get("type")))
    except UnknownTypeError as exc:
        raise exc.at_type_key("Trigger") from None
    return trigger_class.model_validate(value)


TriggerRef = Annotated[Trigger, WrapValidator(_validate_trigger), SerializeAsAny()]
"""A trigger of any registered type, chosen by its ``type``."""
