"""Typing and checking the inputs an execution is created with."""

from __future__ import annotations

from typing import Any

from orchestrator.models.flow import Flow
from orchestrator.models.inputs import InputValueError, SecretInput
from orchestrator.secrets import SecretCodec


def typed_inputs(
    flow: Flow, provided: dict[str, Any] | None, secrets: SecretCodec | None = None
) -> dict[str, Any] | None:
    """Coerce ``provided`` to the flow's declared inputs, applying defaults.

    ``None`` means the execution was created with no inputs at all: nothing is enforced,
    and templates see the declared defaults (Kestra's behaviour). Undeclared keys are
    dropped. SECRET inputs are encrypted with ``secrets`` when given.

    Raises:
        InputValueError: a required input is missing or a value does not fit its type.
    """
    if provided is None:
        return None
    typed: dict[str, Any] = {}
    for declared in flow.inputs:
        value = provided.get(declared.id)
        if value is None:
            value = declared.defaults
        if value is None:
            if declared.required and declared.depends_on is None:
                raise InputValueError(declared.id, "missing required input")
            typed[declared.id] = None
            continue
        typed[declared.id] = declared.parse(value)
        if secrets is not None and isinstance(declared, SecretInput):
            typed[declared.id] = secrets.encrypt(typed[declared.id])
    return typed
