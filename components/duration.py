"""Go `time.ParseDuration` syntax, the format the token-refresh sidecars read `interval` in."""

import re
from datetime import timedelta

_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_TERM = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h)")


def parse_go_duration(text: str) -> timedelta:
    """Parse `30m`, `1h30m`, `1.5h`, ... Raise ValueError for anything Go would reject (no unit, junk)."""
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("+-")
    if body == "0":
        return timedelta(0)
    if not body:
        raise ValueError(f"{text!r} is not a Go duration")
    seconds = 0.0
    position = 0
    for match in _TERM.finditer(body):
        if match.start() != position:
            break
        seconds += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if position != len(body):
        raise ValueError(f"{text!r} is not a Go duration")
    return timedelta(seconds=sign * seconds)
