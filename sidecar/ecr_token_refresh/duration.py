"""Go's `time.ParseDuration`, the one parser of `interval` for the sidecar, the program and the policy pack.

The result is an int of nanoseconds, like Go's `time.Duration`: exact (a timedelta would round `1ns` to zero) and
bounded the same way. Each caller keeps its own range. Standard library only, so the program can import it cheaply.
"""

from __future__ import annotations

NANOSECOND = 1
MICROSECOND = 1_000 * NANOSECOND
MILLISECOND = 1_000 * MICROSECOND
SECOND = 1_000 * MILLISECOND
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE

# Both micro signs: U+00B5 MICRO SIGN and U+03BC GREEK SMALL LETTER MU.
UNITS = {"ns": NANOSECOND, "us": MICROSECOND, "µs": MICROSECOND, "μs": MICROSECOND, "ms": MILLISECOND}
UNITS |= {"s": SECOND, "m": MINUTE, "h": HOUR}
# Go keeps a duration in an int64 of nanoseconds.
MAX_NANOSECONDS = 2**63 - 1
_DIGITS = "0123456789"  # ASCII only, as Go: str.isdigit() would also take other scripts' digits
_OVERFLOW = "it overflows int64 nanoseconds (about 2562047h)"


def parse_go_duration(text: str) -> int:
    """`[-+]?([0-9]*(\\.[0-9]*)?unit)+` or `0` -> nanoseconds; DurationError (a ValueError) naming the text otherwise.

    Go's algorithm, with its float64 rounding of fractions and its precision limit on long ones, so that every text
    gets the answer Go gives. Go checks for overflow at every step because its integers wrap; Python's do not, so
    one check of the sum does (plus one in the integer part, which bounds the work on a million-digit number).
    """
    rest = text
    negative = rest[:1] == "-"
    if rest[:1] in ("-", "+"):
        rest = rest[1:]
    if rest == "0":
        return 0
    if not rest:
        raise DurationError(text, "it is empty")
    total = 0
    while rest:
        value, rest = _term(text, rest)
        total += value
    if total > (2**63 if negative else MAX_NANOSECONDS):
        raise DurationError(text, _OVERFLOW)
    return -total if negative else total


def _term(text: str, rest: str) -> tuple[int, str]:
    """One `[0-9]*(\\.[0-9]*)?unit` from the start of `rest`: its nanoseconds and what follows."""
    if rest[0] != "." and rest[0] not in _DIGITS:
        raise DurationError(text, f"{rest[0]!r} is not a digit or '.'")
    whole, rest, has_whole = _leading_int(text, rest)
    fraction, scale, has_fraction = 0, 1.0, False
    if rest[:1] == ".":
        fraction, scale, rest, has_fraction = _leading_fraction(rest[1:])
    if not has_whole and not has_fraction:
        raise DurationError(text, "a '.' needs a digit before or after it")
    length = 0
    while length < len(rest) and rest[length] != "." and rest[length] not in _DIGITS:
        length += 1
    if length == 0:
        raise DurationError(text, f"a number has no unit (units: {', '.join(UNITS)})")
    unit, rest = rest[:length], rest[length:]
    if unit not in UNITS:
        raise DurationError(text, f"{unit!r} is not a unit (units: {', '.join(UNITS)})")
    # Go's own float64 step, so that fractions round exactly as Go rounds them.
    return whole * UNITS[unit] + int(float(fraction) * (float(UNITS[unit]) / scale)), rest


def _leading_int(text: str, rest: str) -> tuple[int, str, bool]:
    value, index = 0, 0
    while index < len(rest) and rest[index] in _DIGITS:
        value = value * 10 + int(rest[index])
        if value > 2**63:
            raise DurationError(text, _OVERFLOW)
        index += 1
    return value, rest[index:], index > 0


def _leading_fraction(rest: str) -> tuple[int, float, str, bool]:
    """Digits after the '.': like Go, it stops adding precision, without an error, where int64 would overflow."""
    value, scale, index, overflow = 0, 1.0, 0, False
    while index < len(rest) and rest[index] in _DIGITS:
        if not overflow:
            following = value * 10 + int(rest[index])
            if value > MAX_NANOSECONDS // 10 or following > 2**63:
                overflow = True
            else:
                value, scale = following, scale * 10
        index += 1
    return value, scale, rest[index:], index > 0


class DurationError(ValueError):
    """`text` is not a Go duration; `reason` says why, for callers that word the message themselves."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"{text!r} is not a Go duration: {reason} (accepted: e.g. 30m, 1h30m, 1.5h, 500ms or 0)")
        self.text = text
        self.reason = reason
