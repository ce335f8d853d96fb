"""The scheduler: fires the triggers of deployed flows, each slot exactly once.

Pure parts (`cron`, `conditions`, `schedules`, `flow_triggers`, `commands`) decide; the
Kafka loop (`service`) restores the state of the triggers it owns, applies the decisions
and commits each new state with the Create commands it implies in one transaction.
"""

from orchestrator.scheduler.errors import ConditionError, SchedulerError

__all__ = ["ConditionError", "SchedulerError"]
