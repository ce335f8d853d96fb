"""Known product gaps, so the chaos figures can say which failure is a known one.

A gap found later is listed here (with where it is in the code) until it is fixed; each one
found so far is fixed and has a regression test in ``tests/integration/test_chaos.py``.
"""

from __future__ import annotations

# (topic, kind) -> why it is not dead-lettered today. Empty: every gap the suite found is
# fixed (heartbeats, kill notices, unknown executions, oversized records, `instances`,
# `kv`: the indexer reads it and dead-letters what does not decode).
NOT_DEAD_LETTERED: dict[tuple[str, str], str] = {}

# (topic, kind) -> why injecting it stops a service for good; such pairs are left out of a
# chaos run unless it is strict. Empty: nothing injected stops a service any more.
STOPS_A_SERVICE: dict[tuple[str, str], str] = {}
