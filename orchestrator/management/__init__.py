"""Health probes and Prometheus metrics of every Kestrel service (the management server).

`Health` and its probes say whether each service loop turns and can serve; `metrics`
declares every metric once; `ManagementServer` serves both over HTTP.
"""

from orchestrator.management.health import Health, Probe, ProbeStatus
from orchestrator.management.server import ManagementError, ManagementServer

__all__ = ["Health", "ManagementError", "ManagementServer", "Probe", "ProbeStatus"]
