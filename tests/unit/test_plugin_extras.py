import pytest

from orchestrator.errors import OrchestratorError
from plugins.extras import MissingExtraError, require


def test_require_returns_an_installed_module() -> None:
    assert require("json", extra="core", task_type="io.kestra.example.Task").dumps([1]) == "[1]"


def test_a_missing_driver_names_the_extra_and_the_task_and_is_not_retried() -> None:
    with pytest.raises(MissingExtraError) as caught:
        require("no_such_driver_xyz", extra="jdbc", task_type="io.kestra.plugin.jdbc.x.Query")
    message = str(caught.value)
    assert message.startswith("install kestrelflow[jdbc] to use io.kestra.plugin.jdbc.x.Query")
    assert "no_such_driver_xyz" in message
    assert caught.value.retryable is False
    assert isinstance(caught.value, OrchestratorError)
