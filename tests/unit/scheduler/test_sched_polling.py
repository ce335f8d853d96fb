"""Polling triggers: the HTTP trigger against a real local server, and after_poll."""

from __future__ import annotations

import sys
from pathlib import Path

from scheduler_harness import RENDERER, at, definition

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from http_fixture import status_server

from orchestrator.scheduler.decision import new_state
from orchestrator.scheduler.http_trigger import HttpTrigger
from orchestrator.scheduler.polling import Poll, PollContext, after_poll, poll_due


def _http(url: str) -> HttpTrigger:
    trigger = definition(
        {
            "id": "http",
            "type": "io.kestra.plugin.core.http.Trigger",
            "uri": url,
            "interval": "PT30S",
            "responseCondition": "{{ json(response.body).ready == true }}",
        }
    ).trigger
    assert isinstance(trigger, HttpTrigger)
    return trigger


def test_http_trigger_fires_when_the_response_condition_holds() -> None:
    with status_server(not_ready=1) as server:
        trigger = _http(server.url)
        ref = definition(
            {"id": "x", "type": "io.kestra.plugin.core.trigger.Webhook", "key": "k"}
        ).ref
        context = PollContext(renderer=RENDERER, ref=ref, now=at("2024-01-01T10:00"))
        assert trigger.evaluate(context) == []
        polls = trigger.evaluate(context)
        assert server.requests == 2
    assert len(polls) == 1
    assert polls[0].variables["code"] == 200 and '"ready": true' in polls[0].variables["body"]


def test_after_poll_moves_the_next_poll_and_locks_to_the_execution() -> None:
    with status_server(not_ready=0) as server:
        found = definition(
            {"id": "http", "type": "io.kestra.plugin.core.http.Trigger", "uri": server.url}
        )
    trigger = found.trigger
    assert isinstance(trigger, HttpTrigger)
    now = at("2024-01-01T10:00")
    state = new_state(found.ref, trigger, now)
    assert poll_due(state, now)
    nothing = after_poll(trigger, state, found.ref, [], now)
    assert nothing.firings == () and nothing.state is not None
    assert nothing.state.next_date == at("2024-01-01T10:01")  # the default interval: 60 s
    one = after_poll(trigger, state, found.ref, [Poll({"code": 200})], now)
    assert len(one.firings) == 1 and one.state is not None
    assert one.state.execution_id == one.firings[0].create.execution_id
    assert not poll_due(one.state, at("2024-01-01T11:00"))  # locked until the execution ends
