"""Built-in task and trigger types: Kestrel's names, Kestra's names as aliases.

Each entry is ``kestrel name -> ("module:Class", aliases)``; classes are imported on first use.
"""

from __future__ import annotations

_CORE = "orchestrator.tasks.core"
_FLOW = "orchestrator.tasks.flow"
_TRIGGERS = "orchestrator.models.triggers"


def _kestra(package: str, name: str, *old: str) -> tuple[str, ...]:
    return (f"io.kestra.plugin.core.{package}.{name}", *old)


BUILTIN_TASKS: dict[str, tuple[str, tuple[str, ...]]] = {
    "kestrel.core.log.Log": (f"{_CORE}:Log", _kestra("log", "Log", "io.kestra.core.tasks.log.Log")),
    "kestrel.core.debug.Return": (
        f"{_CORE}:Return",
        _kestra("debug", "Return", "io.kestra.core.tasks.debugs.Return"),
    ),
    "kestrel.core.debug.Echo": (
        f"{_CORE}:Echo",
        _kestra("debug", "Echo", "io.kestra.core.tasks.debugs.Echo"),
    ),
    "kestrel.core.output.OutputValues": (
        f"{_CORE}:OutputValues",
        _kestra("output", "OutputValues", "io.kestra.core.tasks.outputs.OutputValues"),
    ),
    "kestrel.core.execution.Fail": (
        f"{_CORE}:Fail",
        _kestra("execution", "Fail", "io.kestra.core.tasks.executions.Fail"),
    ),
    "kestrel.core.execution.Labels": (
        f"{_CORE}:Labels",
        _kestra("execution", "Labels", "io.kestra.core.tasks.executions.Labels"),
    ),
    "kestrel.core.flow.Sleep": (
        f"{_FLOW}:Sleep",
        _kestra("flow", "Sleep", "io.kestra.core.tasks.flows.Sleep"),
    ),
    "kestrel.core.flow.Sequential": (
        f"{_FLOW}:Sequential",
        _kestra("flow", "Sequential", "io.kestra.core.tasks.flows.Sequential"),
    ),
    "kestrel.core.flow.Parallel": (
        f"{_FLOW}:Parallel",
        _kestra("flow", "Parallel", "io.kestra.core.tasks.flows.Parallel"),
    ),
    "kestrel.core.flow.Switch": (
        f"{_FLOW}:Switch",
        _kestra("flow", "Switch", "io.kestra.core.tasks.flows.Switch"),
    ),
    "kestrel.core.flow.If": (f"{_FLOW}:If", _kestra("flow", "If", "io.kestra.core.tasks.flows.If")),
    "kestrel.core.flow.ForEach": (
        f"{_FLOW}:ForEach",
        _kestra("flow", "ForEach", "io.kestra.core.tasks.flows.ForEach"),
    ),
    "kestrel.core.flow.EachSequential": (
        f"{_FLOW}:EachSequential",
        _kestra("flow", "EachSequential", "io.kestra.core.tasks.flows.EachSequential"),
    ),
    "kestrel.core.flow.EachParallel": (
        f"{_FLOW}:EachParallel",
        _kestra("flow", "EachParallel", "io.kestra.core.tasks.flows.EachParallel"),
    ),
    "kestrel.core.flow.Dag": (
        f"{_FLOW}:Dag",
        _kestra("flow", "Dag", "io.kestra.core.tasks.flows.Dag"),
    ),
    "kestrel.core.flow.AllowFailure": (
        f"{_FLOW}:AllowFailure",
        _kestra("flow", "AllowFailure", "io.kestra.core.tasks.flows.AllowFailure"),
    ),
    "kestrel.core.flow.Subflow": (
        f"{_FLOW}:Subflow",
        _kestra(
            "flow",
            "Subflow",
            "io.kestra.core.tasks.flows.Subflow",
            "io.kestra.core.tasks.flows.Flow",
        ),
    ),
    "kestrel.core.flow.WorkingDirectory": (
        f"{_FLOW}:WorkingDirectory",
        _kestra("flow", "WorkingDirectory", "io.kestra.core.tasks.flows.WorkingDirectory"),
    ),
    "kestrel.core.flow.WorkingDirectoryEnd": (
        "orchestrator.tasks.workdir_end:WorkingDirectoryEnd",
        (),
    ),
    "kestrel.core.flow.ForEachItem": (
        "orchestrator.tasks.foreach_item:ForEachItem",
        _kestra("flow", "ForEachItem", "io.kestra.core.tasks.flows.ForEachItem"),
    ),
    "kestrel.core.flow.ForEachItemSplit": ("orchestrator.tasks.foreach_item:ForEachItemSplit", ()),
    "kestrel.core.flow.ForEachItemMerge": ("orchestrator.tasks.foreach_item:ForEachItemMerge", ()),
    "kestrel.core.flow.WaitFor": (
        f"{_FLOW}:WaitFor",
        _kestra("flow", "WaitFor", "io.kestra.plugin.core.flow.LoopUntil"),
    ),
    "kestrel.core.execution.Exit": (f"{_FLOW}:Exit", _kestra("execution", "Exit")),
    "kestrel.core.flow.Pause": (
        f"{_FLOW}:Pause",
        _kestra("flow", "Pause", "io.kestra.core.tasks.flows.Pause"),
    ),
}

BUILTIN_TRIGGERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "kestrel.core.trigger.Schedule": (
        f"{_TRIGGERS}:Schedule",
        (
            "io.kestra.plugin.core.trigger.Schedule",
            "io.kestra.core.models.triggers.types.Schedule",
            "schedule",
        ),
    ),
    "kestrel.core.trigger.Flow": (
        f"{_TRIGGERS}:FlowTrigger",
        ("io.kestra.plugin.core.trigger.Flow", "io.kestra.core.models.triggers.types.Flow"),
    ),
    "kestrel.core.trigger.Webhook": (
        f"{_TRIGGERS}:Webhook",
        ("io.kestra.plugin.core.trigger.Webhook", "io.kestra.core.models.triggers.types.Webhook"),
    ),
    "kestrel.core.http.Trigger": (
        "orchestrator.scheduler.http_trigger:HttpTrigger",
        ("io.kestra.plugin.core.http.Trigger", "io.kestra.plugin.fs.http.Trigger"),
    ),
}
