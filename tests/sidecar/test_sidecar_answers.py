"""Property: whatever GetAuthorizationToken answers, the parser says AuthorizationData or AnswerError, and the daemon
loop keeps running, writing the other region's file every round."""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from ecr_token_refresh import aws
from ecr_token_refresh.calls import RegionCalls
from ecr_token_refresh.config import Config, Registry
from ecr_token_refresh.log import JsonLog
from ecr_token_refresh.refresh import Clock, refresh_forever
from ecr_token_refresh.status import Status
from hypothesis import given, settings
from hypothesis import strategies as st

START = datetime(2026, 1, 1, tzinfo=UTC)
ROUNDS = 3

KEYS = st.sampled_from(["authorizationData", "authorizationToken", "expiresAt", "proxyEndpoint"]) | st.text(max_size=8)
TIMES = st.datetimes(
    timezones=st.none() | st.just(UTC) | st.builds(timezone, st.timedeltas(timedelta(hours=-23), timedelta(hours=23)))
)
TOKENS = st.binary(max_size=40).map(lambda raw: base64.b64encode(raw).decode()) | st.text(
    alphabet="AWS:pw!~ \n\0é", max_size=12
).map(lambda text: base64.b64encode(text.encode()).decode())
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12) | TIMES | TOKENS
JSON_LIKE = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=10,
)
ENTRIES = st.fixed_dictionaries(
    {}, optional={"authorizationToken": TOKENS | JSON_LIKE, "expiresAt": TIMES | JSON_LIKE, "proxyEndpoint": JSON_LIKE}
)
ANSWERS = (
    JSON_LIKE
    | st.fixed_dictionaries({"authorizationData": st.lists(ENTRIES | JSON_LIKE, max_size=3) | JSON_LIKE})
    | st.fixed_dictionaries({"authorizationData": st.lists(ENTRIES, min_size=1, max_size=2)})
)


@settings(max_examples=200)
@given(ANSWERS)
def test_the_parser_answers_authorization_data_or_answer_error(answer: Any) -> None:
    try:
        data = aws.authorization_data(answer)
    except aws.AnswerError:
        return
    assert data.password and all("!" <= character <= "~" for character in data.password)
    assert data.expires_at is None or data.expires_at.utcoffset() == timedelta(0)


class ScriptedEcr:
    def __init__(self, answers: list[Any]) -> None:
        self.answers = answers

    def get_authorization_token(self, **kwargs: Any) -> Any:
        assert kwargs == {}
        return self.answers.pop(0) if self.answers else {}


class Stop(Exception):
    pass


@settings(max_examples=20)
@given(st.lists(ANSWERS, min_size=ROUNDS, max_size=ROUNDS))
def test_the_daemon_keeps_running_and_writing_the_other_region_whatever_one_region_answers(
    tmp_path_factory: Any, answers: list[Any]
) -> None:
    directory = Path(tmp_path_factory.mktemp("answers"))
    fuzzed = Registry("111111111111", "us-east-1", str(directory / "fuzzed.pass"))
    steady = Registry("222222222222", "eu-west-1", str(directory / "steady.pass"))
    config = Config(timedelta(minutes=30), (fuzzed, steady))
    good = {"authorizationData": [{"authorizationToken": base64.b64encode(b"AWS:steady").decode()}]}
    clients = {"us-east-1": ScriptedEcr(list(answers)), "eu-west-1": ScriptedEcr([good] * ROUNDS)}
    status, now, sleeps = Status(config.registries), [START], []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        assert Path(steady.password_file).read_text() == "steady"
        Path(steady.password_file).unlink()
        if len(sleeps) == ROUNDS:
            raise Stop
        now[0] += timedelta(seconds=seconds)

    with pytest.raises(Stop):
        refresh_forever(
            config,
            RegionCalls(clients, 10.0),
            status,
            JsonLog(io.StringIO(), lambda: now[0]),
            Clock(now=lambda: now[0], sleep=sleep, random=lambda: 0.5),
        )
    assert len(sleeps) == ROUNDS
    assert all(0 < seconds <= 1800 for seconds in sleeps)
    fuzzed_status = status.snapshot()[0]
    assert fuzzed_status.refreshed_at is not None or fuzzed_status.last_error
