"""The Pulumi SDK's own stack-file loader as an oracle for tools/pulumi_yaml.py.

`python -m tests.support.pulumi_yaml_oracle` builds tests/support/pulumi_config_oracle (Go, the pinned
github.com/pulumi/pulumi/sdk/v3 from the Go module proxy) into $HOME/.cache/spinnaker-ecr/oracle, runs it over CASES
and writes tests/support/pulumi_yaml_cases.json: for each case the text and what the CLI makes of it (the string the
program gets per key, the keys it warns have no value, the keys holding secrets; or the CLI's error).
tests/test_pulumi_yaml.py holds our reader to that table without Go; tests/test_pulumi_yaml_oracle.py (marked e2e)
reruns the oracle and fails when the table has drifted.

A case the CLI refuses carries `refuse`: a part of the message our reader must give. A case the CLI accepts but our
reader refuses on purpose carries `refuse` and `deliberate` (why); the table keeps the CLI's answer beside it.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ORACLE_SOURCE = Path(__file__).resolve().parent / "pulumi_config_oracle"
CASES_FILE = Path(__file__).resolve().parent / "pulumi_yaml_cases.json"
PROJECT_FILE = ROOT / "Pulumi.yaml"
NULL_WARNING = "warning: No value for configuration key"
BUILD_HELP = (
    "the Pulumi config oracle needs Go (1.26 or newer, as github.com/pulumi/pulumi/sdk/v3 v3.274.1 requires) and the "
    "Go module proxy: install Go, then run `python -m tests.support.pulumi_yaml_oracle --build` (about two minutes "
    "the first time; the binary is kept in ~/.cache/spinnaker-ecr/oracle)"
)


class OracleUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    refuse: str | None = None
    deliberate: str | None = None
    one_of: tuple[dict[str, str], ...] = ()  # the CLI's answer is chance: one of these


def value(text: str, key: str = "spinnaker-ecr:v") -> str:
    """A stack file with one key whose value is written as `text`."""
    return f"config:\n  {key}: {text}\n"


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "spinnaker-ecr" / "oracle"


def build_oracle() -> Path:
    """The oracle binary for the current sources, built once per change of go.mod, go.sum or main.go."""
    digest = hashlib.sha256()
    for name in ("go.mod", "go.sum", "main.go"):
        digest.update((ORACLE_SOURCE / name).read_bytes())
    binary = cache_dir() / f"pulumi-config-oracle-{digest.hexdigest()[:16]}"
    if binary.exists():
        return binary
    go = shutil.which("go")
    if go is None:
        raise OracleUnavailable(f"no `go` on PATH: {BUILD_HELP}")
    binary.parent.mkdir(parents=True, exist_ok=True)
    partial = binary.with_suffix(".partial")
    build = subprocess.run(
        [go, "build", "-mod=readonly", "-o", str(partial), "."],
        cwd=ORACLE_SOURCE,
        capture_output=True,
        text=True,
        check=False,
    )
    if build.returncode != 0:
        raise OracleUnavailable(f"`go build` failed:\n{build.stderr.strip()}\n{BUILD_HELP}")
    partial.rename(binary)
    return binary


def run_oracle(cases: list[Case]) -> list[dict[str, Any]]:
    """What the Pulumi SDK's loader answers for each case, in order. TZ=UTC: the CLI writes a timestamp's zone by
    the machine's local zone, and CI machines run in UTC."""
    request = {"project": str(PROJECT_FILE), "cases": [{"name": c.name, "text": c.text} for c in cases]}
    with tempfile.TemporaryDirectory() as home:
        run = subprocess.run(
            [str(build_oracle())],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            check=False,
            env={"PATH": os.environ.get("PATH", ""), "HOME": home, "TZ": "UTC"},
        )
    if run.returncode != 0:
        raise OracleUnavailable(f"the oracle failed: {run.stderr.strip()}")
    return json.loads(run.stdout)


def table(cases: list[Case], answers: list[dict[str, Any]]) -> dict[str, Any]:
    rows = []
    for case, answer in zip(cases, answers, strict=True):
        assert answer.pop("name") == case.name
        if "error" in answer and case.refuse is None:
            raise ValueError(f"{case.name}: the CLI refuses it ({answer['error']!r}): say what our reader says")
        if "error" in answer and case.deliberate is not None:
            raise ValueError(f"{case.name}: the CLI refuses it too: drop `deliberate`")
        if "error" not in answer and case.refuse is not None and case.deliberate is None:
            raise ValueError(f"{case.name}: the CLI accepts it: drop `refuse` or say why in `deliberate`")
        warnings = answer.pop("warnings", "")
        if warnings:
            # The CLI lists the keys in Go's map order, which changes from run to run.
            assert warnings.startswith(NULL_WARNING), warnings
            answer["null_keys"] = sorted(re.findall(r'"([^"]+)"', warnings.split(".")[0]))
        if case.one_of:
            if answer.get("config") not in case.one_of:
                raise ValueError(f"{case.name}: the CLI answered {answer}, not one of {case.one_of}")
            answer = {"one_of": list(case.one_of)}
        row = {"name": case.name, "text": case.text, "cli": answer}
        row.update({k: v for k, v in (("refuse", case.refuse), ("deliberate", case.deliberate)) if v is not None})
        rows.append(row)
    return {
        "about": "What the Pulumi SDK's stack-file loader (github.com/pulumi/pulumi/sdk/v3 v3.274.1, TZ=UTC) answers "
        "for each text; written by `python -m tests.support.pulumi_yaml_oracle`, do not edit by hand.",
        "cases": rows,
    }


def _values(prefix: str, texts: list[str]) -> list[Case]:
    return [Case(f"{prefix} {text}", value(text)) for text in texts]


REGISTRIES = """config:
  spinnaker-ecr:registries:
    - name: leading-zero
      accountId: 012345678901
      region: us-east-1
    - name: octal-looking
      accountId: 012345670123
    - name: quoted
      accountId: "012345678901"
    - name: eight-digits
      accountId: 01234567
    - name: nine-digits
      accountId: 012345678
"""

# 60,804 values from 99 aliases of one 600-item list: yaml.v3 takes it (under 99% of its decodes come from aliases).
ALIASES_60K = "a: &a [" + ", ".join(["0"] * 600) + "]\nb: [" + ", ".join(["*a"] * 99) + "]\nconfig:\n  a:b: *a\n"
# Ten of ten of ten ... values: yaml.v3 refuses it (document contains excessive aliasing), and so do we.
ALIAS_BOMB = (
    "a: &a ["
    + ", ".join(["x"] * 10)
    + "]\n"
    + "".join(
        f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]\n"
        for previous, name in zip("abcd", "bcde", strict=True)
    )
    + "config:\n  a:b: 1\n"
)

MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

CASES: list[Case] = [
    # Account ids: the reason this module exists.
    *_values("account id", ["012345678901", "012345670123", '"012345678901"', "'012345678901'", "123456789012"]),
    *_values("account id", ["01234567", "012345678", "0123456789", "000000000000", "0"]),
    Case("account ids in registries", REGISTRIES),
    # Integers as Go's strconv.ParseInt(base 0) then ParseUint read them, after yaml.v3 drops underscores.
    *_values("octal", ["0777", "0o17", "0O17", "0o-7", "-0o17", "08", "09.5", "00", "-0", "+1"]),
    *_values("hex", ["0x1F", "0X1f", "-0x10", "+0x10", "0x", "0xG"]),
    *_values("binary", ["0b101", "0B101", "0b-1", "0b+1", "-0b101", "0b", "0b102", "-0b2", "-0o8", "0o+7", "0o8"]),
    *_values("binary", ["0b-1" + "0" * 63, "0b+1" + "0" * 63, "0b1" + "0" * 63, "0o-1" + "0" * 21, "0o1" + "0" * 21]),
    *_values("binary", ["0b-1" + "0" * 64, "0b21", "0b'1", "0o91", "0x1g"]),
    *_values("underscores", ["1_000", "1__000", "_1000", "1000_", "0_x10", "1_000.5", ".5_0", "._5", ".5__0"]),
    *_values(
        "big",
        [
            "9223372036854775807",
            "9223372036854775808",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "+18446744073709551615",
            "123456789012345678901",
        ],
    ),
    # Floats: yaml.v3's float pattern, Go's ParseFloat, then the CLI's round trip and Go's JSON.
    *_values("float", ["1.5", "1.", ".5", "+.5", "-.5", "1e3", "1E3", "1e+3", "1.0", "-0.0", "0.0", "0.1"]),
    *_values("float", ["1e21", "1e20", "1e-6", "1e-7", "0.000001", "0.0000001", "12345678901.0", "1234567.0"]),
    *_values("float", ["1e400", "-1e400", ".1e-400", "5e-324", "1.7976931348623157e308", "3.14159265358979323846"]),
    *_values("float", ["1e", "e5", "1.5.5", "1e5.5", "+", "--1", "+-1"]),
    Case("float -", value("-"), refuse="is not YAML (block sequence entries are not allowed"),
    Case("negative float list", value("[-1e21, -1e-7, -1234567.0, -0.5, -100000000000000000000.0]")),
    Case("float list", value("[1e20, 1e21, 0.000001, 0.0000001, 100000000000000000000.0, -0.0, 5e-324, 1.5e300]")),
    Case("inf", value(".inf"), refuse="is not a number JSON can carry"),
    Case("-inf", value("-.Inf"), refuse="is not a number JSON can carry"),
    Case("nan", value(".NaN"), refuse="is not a number JSON can carry"),
    Case("nan in a list", value("[1, .nan]"), refuse="spinnaker-ecr:v[1]: .nan is not a number"),
    Case("nan in an object", value("{a: {b: .nan}}"), refuse="spinnaker-ecr:v.a.b: .nan is not a number"),
    *_values("not inf", [".infinity", "inf", "Infinity", "nan", "NaN"]),
    # Booleans and nulls: YAML 1.1's yes/no/on/off/y/n are strings now.
    *_values("bool", ["true", "True", "TRUE", "false", "False", "FALSE", "tRUE", "yes", "Yes", "YES", "no", "No"]),
    *_values("bool", ["on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N", "[yes, no, on, off, True, FALSE]"]),
    *_values("null", ["~", "null", "Null", "NULL", "nUll", "", "[~, null, ]", "{a: ~, b: , c: NULL}"]),
    # Strings.
    *_values(
        "string",
        [
            "hello world",
            "http://x/y?z=1#f",
            "héllo ☃",
            "'it''s'",
            '"tab\\there"',
            "x - y",
            "a:b",
            "x#y",
            "x #y",
        ],
    ),
    Case("mapping in a plain string", value("a: b"), refuse="2:21: is not YAML (mapping values are not allowed"),
    Case("string escapes in an object", value('{s: "<a&b>\\u2028\\u2029\\b\\f\\n\\r\\t\\u0001\\u007f\\"\\\\/"}')),
    Case("string escapes at the top", value('"<a&b>\\u2028\\b\\u0001"')),
    Case("multi-line plain", "config:\n  spinnaker-ecr:v: one\n    two\n\n    three\n"),
    Case("literal block", "config:\n  spinnaker-ecr:v: |\n    line 1\n    line 2\n"),
    Case("literal block strip", "config:\n  spinnaker-ecr:v: |-\n    line 1\n\n"),
    Case("literal block keep", "config:\n  spinnaker-ecr:v: |+\n    line 1\n\n"),
    Case("folded block", "config:\n  spinnaker-ecr:v: >\n    folded\n    text\n\n    para\n"),
    Case("comments", "# head\nconfig:  # the block\n  spinnaker-ecr:v: x # trailing\n  # inside\n"),
    # Timestamps: yaml.v3 decodes them to time.Time; the CLI hands the program Go's text of it.
    *_values("timestamp", ["2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14T21:59:43Z", "2001-2-3"]),
    *_values("timestamp", ["2001-12-14 21:59:43.10", "2001-12-14  21:59:43", "2001-12-14 21:59:43,10", "2000-02-29"]),
    *_values("timestamp", ["2001-12-14T21:59:43.123456789123Z", "2001-12-14T21:59:43+00:00", "0000-01-01"]),
    *_values("timestamp", ["2001-12-14T21:59:43.5+05:30", "2001-12-14T01:02:03-00:30", "2001-12-14t21:59:43+24:60"]),
    *_values("not a timestamp", ["2001-02-30", "1900-02-29", "2001-13-01", "2001-12-14T21:59:43", "01-12-14"]),
    *_values("timestamp", ["2001-03-31", "2001-12-31", "2001-01-31", "2400-02-29", "2001-12-14T21:59:43+00:59"]),
    *_values("not a timestamp", ["2001-04-31", "2001-11-31", "2100-02-29", "2000-02-30", "2001-00-10", "2001-01-00"]),
    *_values("month end", [f"2001-{month:02d}-{days}" for month, days in enumerate(MONTH_DAYS, start=1)]),
    *_values("past month end", [f"2001-{month:02d}-{days + 1}" for month, days in enumerate(MONTH_DAYS, start=1)]),
    *_values("leap", ["2004-02-29", "2001-02-29", "1996-02-29", "2000-02-29T00:00:00Z", "2004-04-31", "2004-01-32"]),
    *_values(
        "clock",
        [
            "2001-12-14 23:59:59",
            "2001-12-14 25:00:00",
            "2001-12-14 21:60:00",
            "2001-12-14 21:75:00",
            "2001-12-14 21:59:61",
        ],
    ),
    *_values(
        "clock", ["2001-12-14 0:0:0", "2001-12-14 1:2:3.4", "2001-12-14T21:59:43+00:60", "2001-12-14T1:2:3+00:61"]
    ),
    *_values("not a timestamp", ["2001-12-14 24:00:00", "2001-12-14T21:59:60Z", "2001-12-14T21:59:43+25:00"]),
    *_values("not a timestamp", ["2001-12-14T21:59:43z", "2001-12-14 21:59:43 -5", "20011-12-14", "2001-012-14"]),
    Case("timestamp quoted", value('"2001-12-14"')),
    Case("timestamps in a list", value("[2001-12-14, 2001-12-14T21:59:43.10-05:00, '2001-12-14']")),
    # Explicit tags.
    *_values("tag", ["!!str 0777", '!!int "12"', "!!int 0x10", "!!float 1", '!!float "1.5"', '!!bool "true"']),
    *_values("tag", ["!!null ~", "!!null", '!!timestamp "2001-01-01"', "!!binary aGVsbG8=", "!foo bar", "! 0777"]),
    *_values("tag", ['! "0777"', "!<tag:yaml.org,2002:int> 12", "!!str", "!!str ~", "!!map x", "!!seq [1]"]),
    Case("tag binary block", "config:\n  spinnaker-ecr:v: !!binary |\n    aGVs\n    bG8=\n"),
    Case("tag bool yes", value("!!bool yes"), refuse="cannot decode !!str `yes` as a !!bool"),
    Case("tag bool int", value("!!bool 1"), refuse="cannot decode !!int `1` as a !!bool"),
    Case("tag float bool", value("!!float true"), refuse="cannot decode !!bool `true` as a !!float"),
    Case("tag unknown secondary", value("!!a aGk=")),
    Case("tag timestamp int", value("!!timestamp 12"), refuse="cannot decode !!int `12` as a !!timestamp"),
    Case("tag null int", value("!!null 1"), refuse="cannot decode !!int `1` as a !!null"),
    Case("tag str int", value("!!str 12")),
    Case("tag null x", value("!!null x"), refuse="cannot decode !!str `x` as a !!null"),
    Case("tag int timestamp", value("!!int 2001-01-01"), refuse="cannot decode !!str `2001-01-01` as a !!int"),
    Case("tag int float", value("!!int 1.5"), refuse="cannot decode !!float `1.5` as a !!int"),
    Case("tag float overflow", value("!!float 1e400"), refuse="cannot decode !!str `1e400` as a !!float"),
    Case(
        "tag binary not utf-8",
        value("!!binary /w=="),
        refuse="!!binary value is not UTF-8 text",
        deliberate="the CLI passes bytes that are not UTF-8 on, mangled to U+FFFD",
    ),
    Case("tag binary invalid", value('!!binary "aGVs bG8="'), refuse="invalid base64"),
    # Secure values: ciphertext at the top, an object inside.
    Case("secure", value("{secure: v1:AAAA}")),
    Case("secure block", "config:\n  spinnaker-ecr:v:\n    secure: AAABAJ5f\n"),
    Case("secure nested", value("{password: {secure: v1:AAAA}, user: me}")),
    Case("secure in a list", value("[{secure: x}, plain]")),
    *_values("not secure", ["{secure: 1}", "{secure: ~}", "{secure: x, y: 1}", "{Secure: x}", "{secure: [x]}"]),
    # Objects and lists: Go's JSON, keys sorted; non-string keys as fmt's %v writes them.
    Case("nested", value("{b: [1, {d: 2, c: [true, ~]}], a: {}, e: []}")),
    Case("keys sorted by bytes", value("{b: 1, B: 2, é: 3, _: 4, '1': 5, a b: 6}")),
    Case("non-string keys", value("{1: a, true: b, 1.5: c, 1234567.0: d, 2001-01-01: e, 8.0: f, -0.0: g, 0x10: h}")),
    Case("null key", value("{~: a, x: 1}")),
    Case("nan key", value("{.nan: a, .inf: b, -.inf: c}")),
    Case("two nan keys", value("{.nan: a, .NaN: b}"), refuse="both become 'NaN'"),
    Case("negative float keys", value("{-1234567.5: a, -0.00001: b, -0.5: c}")),
    Case("null key and null text", value('{~: a, "null": b}'), refuse="both become 'null'"),
    Case("time key and its text", value('{2001-01-01: a, "2001-01-01T00:00:00Z": b}'), refuse="both become"),
    Case("float keys", value("{123456.5: a, 0.0001: b, 0.00001: c, 1234567.5: d, 1e21: e, 100000.0: f}")),
    Case("same key for Go", value("{1: a, 0x1: b}")),
    Case("keys that read alike", value('{"1": a, 0x1: b}'), refuse="both become '1'"),
    Case("int and float key", value("{1: a, 1.0: b}"), refuse="both become '1'"),
    Case("collection key", value("{[1]: a}"), refuse="cannot be a key"),
    Case("mapping key", value("{? {a: 1} : x}"), refuse="cannot be a key"),
    # Keys: config.ParseKey, and the project namespace for keys without one.
    Case("key without namespace", "config:\n  registries: x\n  aws:region: us-east-1\n"),
    Case("key config form", "config:\n  aws:config:region: us-east-1\n"),
    Case("key three colons", "config:\n  a:b:c:d: 1\n", refuse="'a:b:c:d' is not of the form"),
    Case("key two colons", "config:\n  a:b:c: 1\n", refuse="'a:b:c' is not of the form"),
    Case("key two colons after config", "config:\n  a:x:c: 1\n", refuse="'a:x:c' is not of the form"),
    Case("key config form and more", "config:\n  a:config:b:c: 1\n", refuse="'a:config:b:c' is not of the form"),
    Case("key timestamp", "config:\n  2001-01-01: x\n", refuse="'2001-01-01T00:00:00Z' is not of the form"),
    Case("key empty namespace", "config:\n  ':x': 1\n"),
    Case("key empty name", "config:\n  'x:': 1\n"),
    Case("key empty", "config:\n  '': 1\n"),
    Case("key quoted with colon", 'config:\n  "spinnaker-ecr:v": 1\n'),
    Case("key tagged int", "config:\n  !!str 1: x\n"),
    Case("key int", "config:\n  1: x\n  aws:region: us-east-1\n", refuse="'1' is not of the form"),
    Case("key bool", "config:\n  true: x\n", refuse="'true' is not of the form"),
    Case(
        "key null",
        "config:\n  ~: x\n  aws:region: us-east-1\n",
        refuse="a config key is null",
        deliberate="the CLI silently drops the value of a null key",
    ),
    Case(
        "key with and without namespace",
        "config:\n  registries: a\n  spinnaker-ecr:registries: b\n",
        refuse="both set spinnaker-ecr:registries",
        deliberate="the CLI keeps one of the two values, which one depends on Go's map order (chance)",
        one_of=({"spinnaker-ecr:registries": "a"}, {"spinnaker-ecr:registries": "b"}),
    ),
    Case(
        "key with config form too",
        "config:\n  aws:region: a\n  aws:config:region: b\n",
        refuse="both set aws:region",
        deliberate="the CLI keeps one of the two values, which one depends on Go's map order (chance)",
        one_of=({"aws:region": "a"}, {"aws:region": "b"}),
    ),
    # Duplicate keys: yaml.v3 refuses them, PyYAML keeps the last.
    Case("duplicate key", "config:\n  aws:region: a\n  aws:region: b\n", refuse="'aws:region' (lines 2 and 3)"),
    Case("duplicate key nested", value("{a: 1, b: 2, a: 3}"), refuse="'a' (lines 2 and 2)"),
    Case("duplicate key quoted", 'config:\n  a:b: 1\n  "a:b": 2\n', refuse="'a:b' (lines 2 and 3)"),
    Case("duplicate top-level key", "config:\n  a:b: 1\nconfig:\n  a:b: 2\n", refuse="'config' (lines 1 and 3)"),
    Case(
        "duplicate key in registries",
        "config:\n  spinnaker-ecr:registries:\n    - name: a\n      region: x\n      name: b\n",
        refuse="'name' (lines 3 and 5)",
    ),
    Case("duplicate after different text", value("{1: a, 01: b}")),
    # Anchors, aliases and << merges as yaml.v3 does them.
    Case("alias", "config:\n  a:b: &x 0777\n  a:c: *x\n"),
    Case("anchor redefined", "config:\n  a:b: &x 1\n  a:c: &x 2\n  a:d: *x\n"),
    Case("anchor recursive", "config:\n  a:b: &x [*x]\n", refuse="anchor 'x' value contains itself"),
    Case("alias undefined", "config:\n  a:b: *nope\n", refuse="unknown anchor 'nope'"),
    Case(
        "merge",
        "base: &base {region: us-east-1, accountId: 012345678901}\n"
        "config:\n  spinnaker-ecr:registries:\n"
        "    - <<: *base\n      name: a\n    - <<: *base\n      region: eu-west-1\n",
    ),
    Case("merge explicit wins", "b: &b {x: 1, y: 2}\nconfig:\n  a:v: {y: 3, <<: *b}\n"),
    Case("merge list first wins", "b: &b {x: 1}\nc: &c {x: 2, z: 3}\nconfig:\n  a:v: {<<: [*b, *c]}\n"),
    Case("merge inline", "config:\n  a:v: {<<: {x: 1}, y: 2}\n"),
    Case("merge nested", "b: &b {x: 1}\nc: &c {<<: *b, y: 2}\nconfig:\n  a:v: {<<: *c, z: 3}\n"),
    Case("merge quoted key", "config:\n  a:v: {'<<': 1}\n", refuse="the key '<<' is written back unquoted"),
    Case("merge str-tagged key", "config:\n  a:v: {!!str <<: 1}\n", refuse="the key '<<' is written back unquoted"),
    Case("merge str-tagged key map", "config:\n  a:v: {!!str <<: {x: 1}, y: 2}\n"),
    Case("merge quoted key map", "config:\n  a:v: {'<<': {x: 1, y: 2}, y: 3}\n"),
    Case("merge quoted key list", "config:\n  a:v: {'<<': [{x: 1}, {x: 2, z: {'<<': {w: 0}}}], y: 3}\n"),
    Case("merge quoted key secure", "config:\n  a:v: {'<<': {secure: x}}\n"),
    Case("merge quoted key in config", "config:\n  '<<': {x: 1}\n"),
    Case("merge tagged", "b: &b {x: 1}\nconfig:\n  a:v: {!!merge <<: *b}\n"),
    Case("merge int keys into string keys", "b: &b {1: x, ~: y}\nconfig:\n  a:v: {<<: *b, z: 1}\n"),
    Case("merge scalar", "config:\n  a:v: {<<: 1}\n", refuse="map merge requires map or sequence of maps"),
    Case("merge list alias", "b: &b [1]\nconfig:\n  a:v: {<<: *b}\n", refuse="map merge requires map"),
    Case("merge list of scalars", "config:\n  a:v: {<<: [1]}\n", refuse="map merge requires map"),
    Case("merge twice", "b: &b {x: 1}\nconfig:\n  a:v: {<<: *b, <<: *b}\n", refuse="'<<' (lines 3 and 3)"),
    Case("merge duplicate inside", "b: &b {x: 1, x: 2}\nconfig:\n  a:v: {<<: *b}\n", refuse="'x' (lines 1 and 1)"),
    Case("merge in config", "b: &b {a:x: 1, a:y: 2}\nconfig:\n  <<: *b\n  a:y: 3\n"),
    Case("merge unnamespaced", "b: &b {x: 1}\nconfig:\n  <<: *b\n"),
    # The document.
    Case("bom", "\ufeffconfig:\n  a:b: 1\n"),
    Case("second document", "config:\n  a:b: 1\n---\nconfig:\n  a:b: 2\n"),
    Case("document markers", "%YAML 1.1\n---\nconfig:\n  a:b: 1\n...\n"),
    Case("flow document", '{config: {"a:b": 1, a:c: [x, y]}}'),
    Case("unknown top-level keys", "config:\n  a:b: 1\nconfigs:\n  a:c: 2\nfoo: [1, {2: 3}]\n"),
    Case("secretsprovider", "secretsprovider: passphrase\nencryptionsalt: v1:abc\nconfig:\n  a:b: 1\n"),
    Case(
        "secretsprovider list", "secretsprovider: [1]\nconfig:\n  a:b: 1\n", refuse="secretsprovider: must be a string"
    ),
    Case("environment", "environment:\n  - my-env\nconfig:\n  a:b: 1\n"),
    Case("top-level int key", "1: x\nconfig:\n  a:b: 1\n", refuse="the top-level key 1 is not a string"),
    Case("top-level int key last", "config:\n  a:b: 1\n2: x\n", refuse="3: the top-level key 2 is not a string"),
    Case("top-level bool key", "config:\n  a:b: 1\ntrue: x\n", refuse="the top-level key true is not a string"),
    Case(
        "top-level timestamp key",
        "config:\n  a:b: 1\n2001-01-01: x\n",
        refuse="the top-level key 2001-01-01T00:00:00Z is not a string",
    ),
    Case("top-level list", "[1]\n", refuse="has no 'config:' mapping"),
    Case("config list", "config: []\n", refuse="has no 'config:' mapping"),
    Case("config string", "config: x\n", refuse="has no 'config:' mapping"),
    Case(
        "config empty",
        "config:\n",
        refuse="has no 'config:' mapping",
        deliberate="the CLI reads an empty config; the render wants the settings",
    ),
    Case("config empty mapping", "config: {}\n"),
    Case(
        "no config",
        "secretsprovider: passphrase\n",
        refuse="has no 'config:' mapping",
        deliberate="the CLI reads an empty config; the render wants the settings",
    ),
    Case(
        "empty file",
        "",
        refuse="has no 'config:' mapping",
        deliberate="the CLI reads an empty config; the render wants the settings",
    ),
    Case("tab indentation", "config:\n\ta:b: 1\n", refuse="2:1: is not YAML"),
    Case("unclosed flow", "config:\n  a:b: [1\n", refuse="is not YAML"),
    Case("bad indentation", "config:\n  a:b: 1\n a:c: 2\n", refuse="is not YAML"),
    Case("mapping in a plain value", "config:\n  a:b: x: y\n", refuse="2:9: is not YAML"),
    Case("reserved indicator", "config:\n  a:b: @x\n", refuse="is not YAML"),
    Case("unclosed quote", 'config:\n  a:b: "x\n', refuse="is not YAML"),
    # Syntax corners where two YAML parsers could part ways.
    Case("flow plain with colon", value("{a:1, b: [c:d, e], 'f':g}")),
    Case("flow multi-line", "config:\n  a:v: [1,\n    2, {x: 3,\n    y: 4}]\n"),
    Case("flow trailing comma", value("[1, 2, ]")),
    Case("flow empty value", value("{a, b: }")),
    Case("complex key", "config:\n  ? a:v\n  : 1\n"),
    Case("nested sequences", "config:\n  a:v:\n  - - 1\n    - 2\n  - []\n"),
    Case("sequence not indented", "config:\n  a:v:\n  - x\n  - y\n  a:w: 1\n"),
    Case("double-quoted escapes", value(r'"\x41\u00e9\U0001F600\N\_\L\P\0\a\e\v\ \	\"\\"')),
    Case("double-quoted slash escape", value(r'"a\/b"'), refuse="found unknown escape character '\\/'"),
    Case("double-quoted backslash slash", value(r'"a\\/b"')),
    Case("plain backslash slash", value(r"a\/b")),
    Case("single-quoted backslash slash", value(r"'a\/b'")),
    Case(
        "double-quoted quote escape",
        value(r'"a\'b"'),
        refuse="is not YAML",
        deliberate="yaml.v3 takes \\' in double quotes, libyaml (our parser) does not: write ' alone",
    ),
    Case("question mark in flow plain", value("[a?b]"), refuse="ends a plain scalar at '?' inside [ ] or { }"),
    Case("question mark in flow key", value("{a?b: 1}"), refuse="ends a plain scalar at '?'"),
    Case("question mark flow key indicator", value("[?x, ? y, {? z}]")),
    Case("question mark block plain", value("a?b")),
    Case("question mark flow quoted", value("['a?b']")),
    Case(
        "comma in a local tag",
        value("!x,y z"),
        refuse="is not YAML",
        deliberate="yaml.v3 takes a comma in a local tag, libyaml (our parser) does not",
    ),
    Case("double-quoted line folding", 'config:\n  a:v: "one\n    two \\\n    three\n\n    four"\n'),
    Case("single-quoted line folding", "config:\n  a:v: 'one\n    two\n\n    three'\n"),
    Case("literal with indentation indicator", "config:\n  a:v: |2\n      indented\n    less\n"),
    Case("folded more indented", "config:\n  a:v: >\n    a\n      b\n    c\n"),
    Case("trailing spaces and tabs", "config:\n  a:v: x  \t\n  a:w: 'y'\t\n"),
    Case("tab in a value", value("a\tb")),
    Case("anchor on an empty value", "config:\n  a:v: &e\n  a:w: *e\n"),
    Case("tag directive", "%TAG !e! tag:example.com,2000:\n---\nconfig:\n  a:v: !e!x 5\n"),
    Case("yaml 1.2 directive", "%YAML 1.2\n---\nconfig:\n  a:v: 0777\n", refuse="%YAML 1.2: yaml.v3 reads only"),
    Case(
        "yaml 1.0 directive",
        "%YAML 1.0\n---\nconfig:\n  a:v: 0777\n",
        refuse="1:1: is not YAML (found incompatible YAML document)",
    ),
    Case("document end then text", "config:\n  a:v: 1\n...\n# after\n"),
    Case("crlf line ends", "config:\r\n  a:v: 012345678901\r\n  a:w: |\r\n    x\r\n"),
    Case("unicode line separator", "config:\n  a:v: x\u2028y\n", refuse="4:1: is not YAML"),
    Case("next line character", "config:\n  a:v: x\u0085y\n", refuse="4:1: is not YAML"),
    Case("key with spaces", "config:\n  a:v w: 1\n  'a: x': 2\n"),
    Case("long key", "config:\n  a:" + "k" * 1100 + ": 1\n", refuse="2:1105: is not YAML"),
    Case("comment without space", value("x#y #z")),
    Case("empty flow key", value("{: x}"), refuse="2:21: is not YAML"),
    Case("question mark plain", value("?x")),
    Case("colon plain", value("::x")),
    Case("dash plain", value("-x")),
    Case("percent plain", value("50%")),
    Case("backquote", value("`x`"), refuse="is not YAML"),
    Case(
        "control character",
        value('"a\x01b"'),
        refuse="2:22: is not YAML (character U+0001: control characters are not allowed)",
    ),
    Case("indentation in flow", "config:\n  a:v: {x: 1,\ny: 2}\n"),
    Case("alias with anchor chars", "config:\n  a:b: &x:y 1\n  a:c: *x:y\n", refuse="3:10: is not YAML"),
    # Found by mutation testing (cosmic-ray): aliases as keys, how far aliases may expand, a column on line 2.
    Case("alias key", "config:\n  a:b: &k x\n  *k : 1\n"),
    Case("alias key int", "b: &n 1\nconfig:\n  a:v: {*n : x, 2: y}\n"),
    Case("alias key in a string map", "b: &s k\nconfig:\n  a:v: {*s : x, l: y}\n"),
    Case("aliases expand to sixty thousand values", ALIASES_60K),
    Case(
        "control character on the line after a blank first line",
        "\nconfig: \x01\n",
        refuse="2:9: is not YAML (character U+0001: control characters are not allowed)",
    ),
    Case(
        "control character at column 3 of line 2",
        "ab: 1\nc:\x01\nconfig:\n  a:b: 1\n",
        refuse="2:3: is not YAML (character U+0001: control characters are not allowed)",
    ),
    Case("aliases expand past the limit", ALIAS_BOMB, refuse="1: its aliases expand to more than 100000 values"),
]

# The project's own stack files, as they are when the table is written.
CASES += [Case(f"stack {path.name}", path.read_text(encoding="utf-8")) for path in sorted(ROOT.glob("stacks/*.yaml"))]


def main(argv: list[str]) -> int:
    try:
        if argv == ["--build"]:
            print(build_oracle())
            return 0
        written = table(CASES, run_oracle(CASES))
    except (OracleUnavailable, ValueError) as error:
        print(f"pulumi_yaml_oracle: {error}", file=sys.stderr)
        return 1
    CASES_FILE.write_text(json.dumps(written, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(CASES)} cases to {CASES_FILE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
