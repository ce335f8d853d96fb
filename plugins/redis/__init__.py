"""Redis tasks and trigger (``io.kestra.plugin.redis``), on redis-py (``[redis]`` extra)."""

from plugins.redis.lists import ListPop, ListPush, ListTrigger
from plugins.redis.realtime import ListRealtimeTrigger
from plugins.redis.string import Delete, Get, Set

__all__ = ["Delete", "Get", "ListPop", "ListPush", "ListRealtimeTrigger", "ListTrigger", "Set"]
