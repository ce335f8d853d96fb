"""Trigger types: cron schedules, flow triggers (on another flow's end) and webhooks.

The scheduler issue gives them behaviour; here they are models validated at load time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from pydantic import (
    Field,
    SerializeAsAny,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
)

from orchestrator.models.base import KestrelModel
from orchestrator.models.condition_types import check_conditions
from orchestrator.models.duration import Duration
from orchestrator.tasks.catalog import BUILTIN_TRIGGERS
from orchestrator.tasks.registry import TRIGGER_ENTRY_POINT_GROUP, TypeRegistry, UnknownTypeError

_CRON_ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


class Trigger(KestrelModel):
    """Common properties of every trigger."""

    type_name: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()

    id: str = Field(pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$")
    type: str
    description: str | None = None
    disabled: bool = False
    inputs: dict[str, Any] = Field(default_factory=dict)
    conditions: list[dict[str, Any]] = Field(default_factory=list)

    @field_validator("conditions")
    @classmethod
    def _known_conditions(cls, conditions: list[dict[str, Any]]) -> list[dict[str, Any]]:
        check_conditions(conditions)
        return conditions


class Backfill(KestrelModel):
    """Replay the schedule's missed dates from ``start`` (to ``end``, or now)."""

    start: datetime
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

    @field_validator("expression")
    @classmethod
    def _valid_cron(cls, expression: str) -> str:
        text = _CRON_ALIASES.get(expression.strip(), expression)
        if not croniter.is_valid(text):
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


class FlowTrigger(Trigger):
    """Start an execution when another execution ends and the ``conditions`` match."""

    type_name: ClassVar[str] = "kestrel.core.trigger.Flow"

    states: list[str] = Field(default_factory=list)


class Webhook(Trigger):
    """Start an execution when a request arrives at ``/webhook/{namespace}/{flow}/{key}``."""

    type_name: ClassVar[str] = "kestrel.core.trigger.Webhook"

    key: str = Field(min_length=1)


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
    if "type" not in value:
        raise ValueError("a trigger needs a 'type', such as io.kestra.plugin.core.trigger.Schedule")
    try:
        trigger_class = TRIGGER_TYPES.resolve(str(value.get("type")))
    except UnknownTypeError as exc:
        raise exc.at_type_key("Trigger") from None
    return trigger_class.model_validate(value)


TriggerRef = Annotated[Trigger, WrapValidator(_validate_trigger), SerializeAsAny()]
"""A trigger of any registered type, chosen by its ``type``."""
