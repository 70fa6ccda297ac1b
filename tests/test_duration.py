"""The program reads `interval` with the sidecar's Go-duration parser (ecr_token_refresh.duration), against the one
shared table of cases, and keeps its own range: from 1m up to, not including, the 12h token lifetime."""

import pytest
from ecr_token_refresh.duration import MINUTE

from components.model import TOKEN_LIFETIME, interval_problem
from tests.sidecar.duration_cases import CASES


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[repr(text) for text, _ in CASES])
def test_the_program_agrees_with_the_shared_table(text: str, expected: int | type[ValueError]) -> None:
    problem = interval_problem(text)
    if expected is ValueError:
        assert problem is not None and problem.startswith("is not a Go duration"), problem
    elif MINUTE <= expected < TOKEN_LIFETIME:
        assert problem is None
    else:
        assert problem is not None and problem.startswith("is out of range"), problem


@pytest.mark.parametrize(("text", "in_range"), [("1m", True), ("59s", False), ("11h59m59s", True), ("12h", False)])
def test_the_program_range_ends(text: str, in_range: bool) -> None:
    assert (interval_problem(text) is None) is in_range


def test_only_text_is_a_duration() -> None:
    assert interval_problem(30) == interval_problem(None) == interval_problem("") != None  # noqa: E711
