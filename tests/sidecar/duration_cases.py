"""Go `time.ParseDuration` cases: (text, nanoseconds) or (text, ValueError). Every row was checked against Go 1.26.

One table for every parser user (sidecar, program, policy pack): import it, do not copy it.
"""

from __future__ import annotations

H, M, S, MS, US = 3_600_000_000_000, 60_000_000_000, 1_000_000_000, 1_000_000, 1_000
INT64_MAX = 2**63 - 1

CASES: list[tuple[str, int | type[ValueError]]] = [
    # The forms a config uses.
    ("30m", 30 * M),
    ("1h30m", 90 * M),
    ("1h0m0s", H),
    ("90s", 90 * S),
    ("1.5h", 90 * M),
    ("500ms", 500 * MS),
    ("12h", 12 * H),
    # Zero: alone it needs no unit, and it may carry a sign.
    ("0", 0),
    ("+0", 0),
    ("-0", 0),
    ("0s", 0),
    ("0.0h", 0),
    ("00", ValueError),
    ("0.0", ValueError),
    # Signs.
    ("-5m", -5 * M),
    ("+5m", 5 * M),
    ("-1.5h", -90 * M),
    ("--5m", ValueError),
    ("+-5m", ValueError),
    ("-", ValueError),
    ("+", ValueError),
    # Every unit, both micro signs (U+00B5 and U+03BC).
    ("1ns", 1),
    ("1us", US),
    ("1\u00b5s", US),
    ("1\u03bcs", US),
    ("1ms", MS),
    ("1s", S),
    ("1m", M),
    ("1h", H),
    # Fractions: a '.' needs a digit on one side at least.
    ("1.h", H),
    (".5h", 30 * M),
    ("1.5s", 1_500 * MS),
    (".5m", 30 * S),
    ("0.4us", 400),
    ("1.1ns", 1),
    ("0.3h", 1_080_000_000_000),
    ("1.0000000000000000000000001h", H),
    ("0.100000000000000000000h", 360 * S),
    (".h", ValueError),
    ("-.h", ValueError),
    (".", ValueError),
    ("1..5h", ValueError),
    # Several terms, in any order, repeated units summed.
    ("1h1ns", H + 1),
    ("1m1h", H + M),
    ("1s1s", 2 * S),
    ("2h45m30.5s", 2 * H + 45 * M + 30_500 * MS),
    # Not Go durations.
    ("", ValueError),
    ("5", ValueError),
    ("30", ValueError),
    ("1h30", ValueError),
    ("1d", ValueError),
    ("1w", ValueError),
    ("1H", ValueError),
    ("1M", ValueError),
    ("1Ms", ValueError),
    ("1sec", ValueError),
    ("30min", ValueError),
    ("m", ValueError),
    ("h1", ValueError),
    ("30 m", ValueError),
    (" 30m", ValueError),
    ("30m ", ValueError),
    ("1h 30m", ValueError),
    ("1:30", ValueError),
    ("1e3s", ValueError),
    ("0x10s", ValueError),
    ("1_000s", ValueError),
    ("1hh", ValueError),
    ("1h-5m", ValueError),
    ("1\u00b5", ValueError),
    ("1\u03bc", ValueError),
    ("1\u00c2s", ValueError),
    # ASCII digits only: other scripts' digits are not Go digits.
    ("\u0663\u0660m", ValueError),
    ("1.\u0665h", ValueError),
    ("\uff11h", ValueError),
    # int64 nanoseconds: about 2562047h47m16.854775807s either way, one more is an overflow.
    ("2562047h", 2562047 * H),
    ("2562048h", ValueError),
    ("99999999999h", ValueError),
    ("9223372036854775807ns", INT64_MAX),
    ("9223372036854775808ns", ValueError),
    ("-9223372036854775808ns", -(2**63)),
    ("-9223372036854775809ns", ValueError),
    ("-9223372036854775808ns1ns", ValueError),
    ("-2562047h47m16.854775808s", -(2**63)),
    ("-2562047h47m16.854775809s", ValueError),
    ("2562047h47m16.854775807s", INT64_MAX),
    ("2562047h47m16.854775808s", ValueError),
    ("9223372036854775807ns1ns", ValueError),
    ("99999999999999999999ns", ValueError),
    # Fractions go through a float64, as in Go: this one rounds up to a whole second.
    ("0.99999999999999999999999999999s", S),
    # Beyond 19 digits Go stops adding precision (and never fails): hundreds of digits are fine.
    ("1." + "9" * 400 + "s", 2 * S),
    ("0." + "1" * 400 + "h", 400 * S),
    ("." + "3" * 25 + "m", 20 * S),
]
