"""duration.parse_go_duration: Go's time.ParseDuration, row by row of the shared table (checked against Go 1.26)."""

from __future__ import annotations

import pytest
from duration_cases import CASES
from ecr_token_refresh.duration import HOUR, MAX_NANOSECONDS, UNITS, parse_go_duration


@pytest.mark.parametrize(("text", "expected"), [case for case in CASES if case[1] is not ValueError])
def test_go_accepts(text: str, expected: int) -> None:
    assert parse_go_duration(text) == expected


@pytest.mark.parametrize("text", [text for text, expected in CASES if expected is ValueError])
def test_go_refuses(text: str) -> None:
    with pytest.raises(
        ValueError, match=r"is not a Go duration: .* \(accepted: e\.g\. 30m, 1h30m, 1\.5h, 500ms or 0\)"
    ):
        parse_go_duration(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "it is empty"),
        ("-", "it is empty"),
        ("x5m", "'x' is not a digit or '.'"),
        (".h", "a '.' needs a digit before or after it"),
        ("5", "a number has no unit (units: ns, us, µs, μs, ms, s, m, h)"),
        ("1d", "'d' is not a unit (units: ns, us, µs, μs, ms, s, m, h)"),
        ("99999999999h", "it overflows int64 nanoseconds (about 2562047h)"),
        ("99999999999999999999ns", "it overflows int64 nanoseconds"),
        ("2562047h47m16.854775808s", "it overflows int64 nanoseconds"),
        ("9223372036854775807ns1ns", "it overflows int64 nanoseconds"),
    ],
)
def test_the_error_quotes_the_text_and_says_why(text: str, reason: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_go_duration(text)
    assert str(raised.value).startswith(f"{text!r} is not a Go duration: {reason}")


def test_the_units_and_the_bound_are_gos() -> None:
    assert UNITS == {
        "ns": 1,
        "us": 1_000,
        "\u00b5s": 1_000,
        "\u03bcs": 1_000,
        "ms": 1_000_000,
        "s": 1_000_000_000,
        "m": 60_000_000_000,
        "h": 3_600_000_000_000,
    }
    assert HOUR == 3_600_000_000_000
    assert MAX_NANOSECONDS == 2**63 - 1


def test_the_table_covers_what_the_issue_names() -> None:
    table = dict(CASES)
    for valid in ("0", "1.h", ".5h", "1\u00b5s", "1\u03bcs"):
        assert table[valid] is not ValueError, valid
    for invalid in (".h", "5", "1d", "1H", "", "99999999999h"):
        assert table[invalid] is ValueError, invalid
