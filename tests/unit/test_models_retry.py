from datetime import timedelta

import pytest
from pydantic import TypeAdapter, ValidationError

from orchestrator.models import Retry, parse_duration
from orchestrator.models.duration import format_duration

RETRY = TypeAdapter(Retry)


def test_constant_retry_waits_the_same_interval() -> None:
    retry = RETRY.validate_python({"type": "constant", "interval": "PT15M", "maxAttempt": 5})
    assert retry.delay(1) == retry.delay(4) == timedelta(minutes=15)
    assert retry.allows(4, timedelta(0)) and not retry.allows(5, timedelta(0))


def test_exponential_retry_grows_and_is_capped() -> None:
    retry = RETRY.validate_python(
        {
            "type": "exponential",
            "maxAttempt": 10,
            "interval": "PT0.25s",
            "maxInterval": "PT1S",
        }
    )
    assert [retry.delay(n).total_seconds() for n in (1, 2, 3, 4)] == [0.25, 0.5, 1.0, 1.0]


def test_random_retry_stays_within_bounds() -> None:
    retry = RETRY.validate_python(
        {"type": "random", "maxAttempt": 3, "minInterval": "PT0.2S", "maxInterval": "PT0.5S"}
    )
    delays = {retry.delay(1) for _ in range(50)}
    assert all(timedelta(seconds=0.2) <= d <= timedelta(seconds=0.5) for d in delays)
    assert len(delays) > 1


def test_max_duration_stops_retries_whose_wait_would_pass_it() -> None:
    retry = RETRY.validate_python({"type": "constant", "interval": "PT5S", "maxDuration": "PT12S"})
    assert retry.allows(1, timedelta(seconds=6))
    assert not retry.allows(2, timedelta(seconds=8))


def test_unbounded_retry_is_refused() -> None:
    with pytest.raises(ValidationError, match="maxAttempt or maxDuration"):
        RETRY.validate_python({"type": "constant", "interval": "PT1S"})


def test_warning_on_retry_and_behavior_round_trip() -> None:
    retry = RETRY.validate_python(
        {
            "type": "constant",
            "interval": "PT1S",
            "maxAttempt": 2,
            "warningOnRetry": True,
            "behavior": "CREATE_NEW_EXECUTION",
        }
    )
    wire = retry.to_json_dict()
    assert wire["warningOnRetry"] is True and wire["behavior"] == "CREATE_NEW_EXECUTION"
    assert RETRY.validate_python(wire) == retry


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("PT1M30S", 90), ("PT0.25s", 0.25), ("P1D", 86400), ("PT2H", 7200), (3, 3), ("10", 10)],
)
def test_durations_parse_iso_8601(text: str | int, seconds: float) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["P1M", "soon", "", True])
def test_bad_durations_are_refused(text: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_duration_formats_back_to_iso() -> None:
    assert format_duration(timedelta(seconds=90)) == "PT1M30S"
