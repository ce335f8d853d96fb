"""Execution and task run states, with their history (Kestra's ``State``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum

from pydantic import Field

from orchestrator.models.base import KestrelModel


class StateType(StrEnum):
    """Every state an execution or a task run can be in; the questions live here."""

    CREATED = "CREATED"
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    RESTARTED = "RESTARTED"
    RETRYING = "RETRYING"
    KILLING = "KILLING"
    SUCCESS = "SUCCESS"
    WARNING = "WARNING"
    FAILED = "FAILED"
    KILLED = "KILLED"
    CANCELLED = "CANCELLED"
    RETRIED = "RETRIED"
    SKIPPED = "SKIPPED"

    @property
    def is_terminated(self) -> bool:
        """Whether nothing more will happen in this state without a restart."""
        return self in _TERMINATED

    @property
    def is_running(self) -> bool:
        """Whether work is under way (or about to be) in this state."""
        return self in _RUNNING

    @property
    def is_created(self) -> bool:
        """Whether the run was created and has not started."""
        return self in (StateType.CREATED, StateType.RESTARTED)

    @property
    def is_failed(self) -> bool:
        """Whether this is a failure state (FAILED, KILLED)."""
        return self in (StateType.FAILED, StateType.KILLED)

    @property
    def is_success(self) -> bool:
        """Whether this is a successful end (SUCCESS, WARNING, SKIPPED)."""
        return self in (StateType.SUCCESS, StateType.WARNING, StateType.SKIPPED)

    @property
    def is_paused(self) -> bool:
        """Whether the run waits for a resume."""
        return self is StateType.PAUSED

    @property
    def is_retrying(self) -> bool:
        """Whether the run waits for its next attempt."""
        return self in (StateType.RETRYING, StateType.RETRIED)

    @property
    def is_killing(self) -> bool:
        """Whether a kill was asked and not yet confirmed."""
        return self is StateType.KILLING

    @property
    def severity(self) -> int:
        """Rank used to combine terminal states: KILLED > FAILED > WARNING > SUCCESS."""
        return _SEVERITY.get(self, 0)

    @classmethod
    def worst(cls, states: list[StateType], default: StateType | None = None) -> StateType:
        """Combine terminal states by precedence; SUCCESS when ``states`` is empty."""
        if not states:
            return default or cls.SUCCESS
        return max(states, key=lambda state: state.severity)


_TERMINATED = frozenset(
    {
        StateType.SUCCESS,
        StateType.WARNING,
        StateType.FAILED,
        StateType.KILLED,
        StateType.CANCELLED,
        StateType.RETRIED,
        StateType.SKIPPED,
    }
)
_RUNNING = frozenset({StateType.RUNNING, StateType.KILLING})
_SEVERITY = {
    StateType.SKIPPED: 0,
    StateType.SUCCESS: 1,
    StateType.RETRIED: 1,
    StateType.WARNING: 2,
    StateType.CANCELLED: 3,
    StateType.FAILED: 4,
    StateType.KILLED: 5,
}


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class StateHistory(KestrelModel):
    """One entry of a state history: the state entered and when."""

    state: StateType
    date: datetime


class State(KestrelModel):
    """The current state and every state before it, with timestamps."""

    current: StateType = StateType.CREATED
    histories: tuple[StateHistory, ...] = Field(default_factory=tuple)

    @classmethod
    def of(cls, state: StateType = StateType.CREATED, at: datetime | None = None) -> State:
        """Return a new state history starting in ``state``."""
        return cls(current=state, histories=(StateHistory(state=state, date=at or utcnow()),))

    def with_state(self, state: StateType, at: datetime | None = None) -> State:
        """Return this history with ``state`` appended (unchanged if already current)."""
        if state is self.current and self.histories:
            return self
        entry = StateHistory(state=state, date=at or utcnow())
        return State(current=state, histories=(*self.histories, entry))

    @property
    def start_date(self) -> datetime | None:
        """When the first state was entered."""
        return self.histories[0].date if self.histories else None

    @property
    def end_date(self) -> datetime | None:
        """When the terminal state was entered, or None while not terminated."""
        if self.current.is_terminated and self.histories:
            return self.histories[-1].date
        return None

    @property
    def duration(self) -> timedelta | None:
        """Time from start to end (or to now while not terminated)."""
        start = self.start_date
        if start is None:
            return None
        return (self.end_date or utcnow()) - start

    def entered_at(self, state: StateType) -> datetime | None:
        """When ``state`` was last entered, if ever."""
        for entry in reversed(self.histories):
            if entry.state is state:
                return entry.date
        return None
