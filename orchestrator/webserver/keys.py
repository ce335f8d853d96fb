"""App keys shared by the resource modules."""

from __future__ import annotations

from aiohttp import web

from orchestrator.webserver.watch import Partitions

PARTITIONS = web.AppKey("partitions", Partitions)
"""Partition counts of ``executions`` and ``logs`` (to read one execution's partition)."""
