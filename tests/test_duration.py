from datetime import timedelta

import pytest

from components.duration import parse_go_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1.5h", timedelta(hours=1, minutes=30)),
        ("90s", timedelta(seconds=90)),
        ("500ms", timedelta(milliseconds=500)),
        ("0", timedelta(0)),
        ("-5m", timedelta(minutes=-5)),
    ],
)
def test_go_durations_parse(text: str, expected: timedelta) -> None:
    assert parse_go_duration(text) == expected


@pytest.mark.parametrize("text", ["", "30", "30 m", "m", "1d", "30min", "1h30", "h1"])
def test_non_go_durations_are_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="is not a Go duration"):
        parse_go_duration(text)
