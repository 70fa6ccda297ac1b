"""Stack files read exactly as the Pulumi CLI reads them.

The CLI reads `Pulumi.<stack>.yaml` with Go's gopkg.in/yaml.v3 (close to YAML 1.2, plus a few compatibility rules
of its own), decodes it into Go values, writes it back to YAML and decodes it again into its `config.Map`, then hands
the program one string per key. PyYAML (YAML 1.1) reads the same text differently: `012345678901` is a string to
PyYAML and the float 12345678901 to the CLI, `yes` a bool to PyYAML and a string to the CLI, `0777` 511 to both.

This module takes only PyYAML's event stream (the syntax) and does the rest as the CLI does: yaml.v3's resolution of
plain scalars, tags, anchors, `<<` merges and duplicate keys; the Pulumi SDK's key rules and its YAML round trip;
Go's encoding/json for what the program receives. tests/support/pulumi_yaml_cases.json holds what the SDK's own
loader (tests/support/pulumi_config_oracle) answers for each tricky case, and the tests hold this module to it.

Where the CLI's answer would depend on chance (two keys that name one setting) or is surely a mistake (`config:` left
empty, a null key), this module refuses with a message instead; docs/render.md lists those cases.
"""

import base64
import binascii
import functools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import yaml

PROJECT_FILE = Path(__file__).resolve().parent.parent / "Pulumi.yaml"

Path_ = tuple[str | int, ...]


class StackFileError(ValueError):
    """A stack file the Pulumi CLI would refuse (or read by chance): the message names the file, the line, the key
    and the value as typed, and says what is accepted."""


@functools.cache
def project_name() -> str:
    """The project's name from Pulumi.yaml: the CLI puts keys written without a namespace under it."""
    return yaml.safe_load(PROJECT_FILE.read_text(encoding="utf-8"))["name"]


def load_stack_file(path: Path, *, project: str | None = None) -> "StackFile":
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise StackFileError(f"{path}: cannot be read: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise StackFileError(
            f"{path}: byte {error.start} is not UTF-8: the Pulumi CLI reads stack files as UTF-8 text"
        ) from error
    return parse_stack_text(text, str(path), project=project)


def parse_stack_text(text: str, source: str, *, project: str | None = None) -> "StackFile":
    """Reads a stack file's text (`source` names it in errors) as the Pulumi CLI does."""
    text = text.removeprefix("\ufeff")  # the CLI strips a UTF-8 byte order mark
    return _Loader(source, text, project or project_name()).load(_compose_first_document(text, source))


def plain_text_stays_text(text: str) -> bool:
    """Whether the plain (unquoted) scalar `text` reads back as this very string under the CLI's rules: not for
    `012345678901` (a number), `true`, `~` or `2001-12-14` (a time)."""
    tag, _ = _resolve_text(text, "")
    return tag == _STR


class StackFileDumper(yaml.SafeDumper):
    """Writes config that the CLI reads back as written: block style, lists indented under their key, no anchors,
    and double quotes on any text Go's YAML would read as something else (PyYAML alone leaves `012345678901` plain)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = None if plain_text_stays_text(value) else '"'
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


StackFileDumper.add_representer(str, _represent_text)


def dump_yaml(document: Any) -> str:
    """`document` as stack-file YAML that load_stack_file reads back to the same values."""
    return yaml.dump(document, Dumper=StackFileDumper, sort_keys=False, allow_unicode=True, width=4096)


@dataclass(frozen=True)
class StackFile:
    """One stack file as the CLI reads it.

    `config`: the `config:` block as the CLI holds it after loading, keys as the CLI names them (`ns:name`), values as
    Go holds them (int, float, bool, str, None, list, dict; a top-level null is "" and a timestamp is Go's text of
    it; a secure value stays `{"secure": ciphertext}`)."""

    source: str
    config: dict[str, Any]
    secure_keys: frozenset[str]
    warnings: tuple[str, ...]
    _program: dict[str, str] = field(repr=False)
    _origins: dict[tuple[str, Path_], "_Origin"] = field(repr=False)
    _text: str = field(repr=False)

    def program_config(self) -> dict[str, str]:
        """What the CLI puts in the program's PULUMI_CONFIG: one string per key (secure values as ciphertext)."""
        return dict(self._program)

    def source_text(self, key: str, path: Path_ = ()) -> str | None:
        """The scalar at `path` inside `key`'s value exactly as typed in the file (`012345670123`, `"0777"`), without
        its tag or anchor; None for a mapping, a list or a path the file does not have."""
        origin = self._origins.get((key, tuple(path)))
        if origin is None or origin.node.kind != "scalar":
            return None
        typed = self._text[origin.node.start : origin.node.end]
        return _PROPERTIES.sub("", typed)

    def line_of(self, key: str, path: Path_ = ()) -> int | None:
        """The 1-based line where `path` inside `key`'s value is written: its key's line, or the item's for a list
        item; None for a path the file does not have."""
        origin = self._origins.get((key, tuple(path)))
        return None if origin is None else origin.line


_PROPERTIES = re.compile(r"^(?:[&!]\S*\s+)+")


# --- Syntax: PyYAML's events, composed into nodes the way yaml.v3's parser builds them -----------------------------


@dataclass(eq=False)
class _Node:
    kind: str  # scalar, sequence, mapping, alias
    tag: str | None  # explicit tag (`!!int` -> tag:yaml.org,2002:int), None when implicit or `!`
    value: str  # a scalar's text, an alias's anchor name, "" for collections (as yaml.v3's Node.Value)
    line: int  # 1-based
    start: int
    end: int
    plain: bool  # a plain scalar (not quoted, not a block); False for collections
    items: list["_Node"] = field(default_factory=list)  # sequence items; mapping keys and values alternating
    target: "_Node | None" = None  # an alias's node


try:
    # libyaml, like yaml.v3 (a Go port of it), takes a tab after a value; PyYAML's pure-Python scanner refuses it.
    _LOADER = yaml.CSafeLoader
except AttributeError as missing:
    raise ImportError("tools.pulumi_yaml needs PyYAML built with libyaml (yaml.CSafeLoader)") from missing


def _compose_first_document(text: str, source: str) -> _Node | None:
    """The first document's root node; yaml.v3's Unmarshal reads only the first document."""
    events = yaml.parse(text, Loader=_LOADER)
    try:
        for event in events:
            if isinstance(event, yaml.DocumentStartEvent):
                _check_version(event)
                return _Composer(events, text).node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = " ".join(filter(None, [error.context, error.problem]))
        raise _not_yaml(source, mark.line, mark.column, problem) from error
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position)
        column = error.position - (text.rfind("\n", 0, error.position) + 1)
        code = error.character if isinstance(error.character, int) else ord(error.character)
        raise _not_yaml(source, line, column, f"character U+{code:04X}: {error.reason}") from error
    return None


def _not_yaml(source: str, line: int, column: int, problem: str) -> StackFileError:
    return StackFileError(
        f"{source}:{line + 1}:{column + 1}: is not YAML ({problem}); the Pulumi CLI cannot read it either"
    )


def _check_version(event: yaml.DocumentStartEvent) -> None:
    if event.version not in (None, (1, 1)):
        version = ".".join(map(str, event.version))
        raise _syntax_error(event, f"%YAML {version}: yaml.v3 reads only documents marked %YAML 1.1 or unmarked")


def _syntax_error(event: yaml.Event, problem: str) -> yaml.MarkedYAMLError:
    return yaml.MarkedYAMLError(problem=problem, problem_mark=event.start_mark)


class _Composer:
    """Events -> nodes, with yaml.v3's rules where libyaml's differ: an anchor may be defined again (the later one
    counts from there on); `\\/` is no escape in double quotes; inside [ ] or { } a plain scalar ends at `?`."""

    def __init__(self, events: Iterator[yaml.Event], text: str) -> None:
        self._events = events
        self._text = text
        self._anchors: dict[str, _Node] = {}
        self._flow = 0

    def node(self) -> _Node | None:
        event = next(self._events)
        if isinstance(event, yaml.DocumentEndEvent):
            return None
        return self._node(event)

    def _node(self, event: yaml.Event) -> _Node:
        if isinstance(event, yaml.AliasEvent):
            target = self._anchors.get(event.anchor)
            if target is None:
                raise _syntax_error(event, f"unknown anchor {event.anchor!r} referenced")
            return _Node("alias", None, event.anchor, *_marks(event), plain=False, target=target)
        tag = None if event.tag in (None, "!") else event.tag
        if isinstance(event, yaml.ScalarEvent):
            self._check_scalar(event)
            node = _Node("scalar", tag, event.value, *_marks(event), plain=not event.style)
        else:
            kind = "sequence" if isinstance(event, yaml.SequenceStartEvent) else "mapping"
            node = _Node(kind, tag, "", *_marks(event), plain=False)
        if event.anchor is not None:
            self._anchors[event.anchor] = node
        if node.kind != "scalar":
            self._children(node, flow=bool(event.flow_style))
        return node

    def _children(self, node: _Node, flow: bool) -> None:
        self._flow += flow
        for child in self._events:
            if isinstance(child, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                node.end = child.end_mark.index
                break
            node.items.append(self._node(child))
        self._flow -= flow

    def _check_scalar(self, event: yaml.ScalarEvent) -> None:
        if not event.style and self._flow and "?" in event.value:
            raise _syntax_error(event, "yaml.v3 ends a plain scalar at '?' inside [ ] or { }: quote the value")
        typed = self._text[event.start_mark.index : event.end_mark.index]
        if event.style == '"' and re.search(r"(?<!\\)(\\\\)*\\/", typed):
            raise _syntax_error(event, "found unknown escape character '\\/' (yaml.v3 has no such escape): write /")


def _marks(event: yaml.Event) -> tuple[int, int, int]:
    return event.start_mark.line + 1, event.start_mark.index, event.end_mark.index


# --- yaml.v3's resolution of scalars --------------------------------------------------------------------------------

_STR, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP = "!!str", "!!int", "!!float", "!!bool", "!!null", "!!timestamp"
_BINARY, _MERGE = "!!binary", "!!merge"
_RESOLVABLE = {_STR, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP}
_WORDS: dict[str, tuple[str, Any]] = {
    **dict.fromkeys(["true", "True", "TRUE"], (_BOOL, True)),
    **dict.fromkeys(["false", "False", "FALSE"], (_BOOL, False)),
    **dict.fromkeys(["", "~", "null", "Null", "NULL"], (_NULL, None)),
    **dict.fromkeys([".nan", ".NaN", ".NAN"], (_FLOAT, math.nan)),
    **dict.fromkeys([".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"], (_FLOAT, math.inf)),
    **dict.fromkeys(["-.inf", "-.Inf", "-.INF"], (_FLOAT, -math.inf)),
    "<<": (_MERGE, "<<"),
}
_HINTS = {
    **dict.fromkeys("+-", "S"),
    **dict.fromkeys("0123456789", "D"),
    **dict.fromkeys("yYnNtTfFoO~", "M"),
    ".": ".",
    "": "N",
}
_YAML_STYLE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_INT64 = 1 << 63
_PREFIX_BASES = {"b": 2, "o": 8, "x": 16}
_UINT64 = 1 << 64


class _Refused(Exception):
    """A problem found while decoding; the loader adds the file, the line and the key."""

    def __init__(self, message: str, node: "_Node | None" = None) -> None:
        super().__init__(message)
        self.node = node


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,2002:") else tag


def _resolve(tag: str, text: str) -> tuple[str, Any]:
    """yaml.v3's resolve(): the tag and Go value of a scalar; `tag` is "" for a plain scalar without a tag."""
    if tag not in _RESOLVABLE and tag != "":
        return tag, text
    resolved = _resolve_text(text, tag)
    if tag in ("", resolved[0], _STR):
        return resolved
    if tag == _FLOAT and resolved[0] == _INT:
        return _FLOAT, float(resolved[1])
    raise _Refused(f"cannot decode {resolved[0]} `{text}` as a {tag}")


def _resolve_text(text: str, tag: str) -> tuple[str, Any]:
    hint = _HINTS.get(text[:1])
    if hint is None or tag == _STR:
        return _STR, text
    if text in _WORDS:
        return _WORDS[text]
    if hint == ".":
        number = _go_parse_float(text)
        return (_FLOAT, number) if number is not None else (_STR, text)
    if hint in "DS":
        if tag in ("", _TIMESTAMP) and (timestamp := _GoTime.parse(text)) is not None:
            return _TIMESTAMP, timestamp
        return _resolve_number(text.replace("_", ""), text)
    return _STR, text


def _resolve_number(plain: str, text: str) -> tuple[str, Any]:
    for parse in (_go_parse_int, _go_parse_uint):
        if (number := parse(plain)) is not None:
            return _INT, number
    if _YAML_STYLE_FLOAT.fullmatch(plain) and (number := _go_parse_float(plain)) is not None:
        return _FLOAT, number
    # yaml.v3 then tries the digits after 0b or 0o with strconv.ParseInt, which takes a sign there: 0b-1 is -1. (Its
    # -0b and -0o tries can never succeed once ParseInt(base 0) has failed.)
    base = {"0b": 2, "0o": 8}.get(plain[:2])
    number = _go_parse_int(plain[2:], base) if base else None
    return (_INT, number) if number is not None else (_STR, text)


def _go_parse_int(text: str, base: int = 0) -> int | None:
    """strconv.ParseInt(text, base, 64) for text without underscores: a sign, then what ParseUint takes."""
    sign, digits = (-1, text[1:]) if text[:1] == "-" else (1, text[1:] if text[:1] == "+" else text)
    magnitude = _go_parse_uint(digits, base)
    if magnitude is None or magnitude > _INT64 or (sign == 1 and magnitude == _INT64):
        return None
    return sign * magnitude


def _go_parse_uint(text: str, base: int = 0) -> int | None:
    """strconv.ParseUint(text, base, 64) for text without underscores; base 0 reads a 0x, 0o or 0b prefix, and a
    leading 0 as octal."""
    if base or text[:1] != "0":
        return _digits(text, base or 10)
    if len(text) >= 3 and text[1].lower() in _PREFIX_BASES:
        return _digits(text[2:], _PREFIX_BASES[text[1].lower()])
    return 0 if text == "0" else _digits(text[1:], 8)


def _digits(digits: str, base: int) -> int | None:
    allowed = "0123456789abcdef"[:base]
    if digits == "" or any(c not in allowed for c in digits.lower()):
        return None
    number = int(digits, base)
    return number if number < _UINT64 else None


def _go_parse_float(text: str) -> float | None:
    """strconv.ParseFloat(text, 64) for decimal text (what yaml.v3 hands it): underscores only between digits, and
    a value out of float64's range is an error, not infinity."""
    if not re.fullmatch(r"[-+]?([0-9_]+\.?[0-9_]*|\.[0-9_]+)([eE][-+]?[0-9_]+)?", text) or not _underscores_ok(text):
        return None
    number = float(text.replace("_", ""))
    return None if math.isinf(number) else number


def _underscores_ok(text: str) -> bool:
    """strconv's underscoreOK for text without a base prefix: an underscore only between two digits."""
    return not re.search(r"(^|[^0-9])_|_($|[^0-9])", text.lstrip("+-"))


# --- Go's time.Parse for yaml.v3's timestamp layouts, and time.Time's text ----------------------------------------

_DATE = r"(?P<year>[0-9]{4})-(?P<month>[0-9]{1,2})-(?P<day>[0-9]{1,2})"
_TIME = r"(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{1,2}):(?P<second>[0-9]{1,2})(?:[.,](?P<fraction>[0-9]+))?"
_ZONE = r"(?P<zone>Z|[+-][0-9]{2}:[0-9]{2})"
_TIMESTAMP_LAYOUTS = [
    re.compile(_DATE + "T" + _TIME + _ZONE),
    re.compile(_DATE + "t" + _TIME + _ZONE),
    re.compile(_DATE + " +" + _TIME),
    re.compile(_DATE),
]
_DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


@dataclass(frozen=True)
class _GoTime:
    """A time.Time as yaml.v3 decodes a timestamp: the wall clock as written and the zone offset."""

    year: int
    month: int
    day: int
    hour: int
    minute: int
    second: int
    nanosecond: int
    offset: int  # seconds east of UTC; 0 is UTC (the CLI is assumed to run in UTC, see docs/render.md)

    @classmethod
    def parse(cls, text: str) -> "_GoTime | None":
        """yaml.v3's parseTimestamp: the first of its four time.Parse layouts that accepts the text."""
        for layout in _TIMESTAMP_LAYOUTS:
            match = layout.fullmatch(text)
            if match and (parsed := cls._from_fields(match.groupdict())) is not None:
                return parsed
        return None

    @classmethod
    def _from_fields(cls, fields: dict[str, str | None]) -> "_GoTime | None":
        year, month, day = int(fields["year"]), int(fields["month"]), int(fields["day"])
        hour, minute, second = (int(fields.get(name) or 0) for name in ("hour", "minute", "second"))
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        days = _DAYS_IN_MONTH[month - 1] + (month == 2 and leap) if 1 <= month <= 12 else 0
        zone = fields.get("zone") or "Z"
        zone_hours, zone_minutes = (0, 0) if zone == "Z" else (int(zone[1:3]), int(zone[4:6]))
        if not (1 <= day <= days and hour < 24 and minute < 60 and second < 60):
            return None
        if zone_hours > 24 or zone_minutes > 60:  # Go allows 24 and 60 here: "some people do write" them
            return None
        offset = (zone_hours * 60 + zone_minutes) * 60 * (-1 if zone[0] == "-" else 1)
        nanosecond = int(((fields.get("fraction") or "") + "000000000")[:9])
        return cls(year, month, day, hour, minute, second, nanosecond, offset)

    def rfc3339nano(self) -> str:
        """Format(time.RFC3339Nano), as yaml.v3 writes a time back."""
        fraction = f".{self.nanosecond:09d}".rstrip("0").rstrip(".")
        zone = "Z" if not self.offset else _zone(self.offset, ":")
        return f"{self._date()}T{self._clock()}{fraction}{zone}"

    def go_string(self) -> str:
        """time.Time.String(), for a time whose zone is UTC or an unnamed fixed offset."""
        fraction = f".{self.nanosecond:09d}".rstrip("0").rstrip(".")
        zone = "+0000 UTC" if not self.offset else f"{_zone(self.offset, '')} {_zone(self.offset, '')}"
        return f"{self._date()} {self._clock()}{fraction} {zone}"

    def _date(self) -> str:
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def _clock(self) -> str:
        return f"{self.hour:02d}:{self.minute:02d}:{self.second:02d}"


def _zone(offset: int, separator: str) -> str:
    minutes = abs(offset) // 60
    return f"{'-' if offset < 0 else '+'}{minutes // 60:02d}{separator}{minutes % 60:02d}"


# --- Go's text for numbers and JSON ----------------------------------------------------------------------------------


def _shortest_digits(number: float) -> tuple[str, int]:
    """The shortest digits that read back as `number` (Python's repr and Go's strconv agree) and the decimal point's
    position: 1234.5 -> ("12345", 4), 0.001 -> ("1", -2)."""
    _, digits, exponent = Decimal(repr(abs(number))).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    return text, len(digits) + exponent


def _go_format(number: float, exponent_form: bool) -> str:
    """strconv.FormatFloat(number, 'e' or 'f', -1, 64)."""
    sign = "-" if math.copysign(1.0, number) < 0 else ""
    digits, point = _shortest_digits(number)
    if number == 0:
        return f"{sign}0e+00" if exponent_form else f"{sign}0"
    if exponent_form:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        power = point - 1
        return f"{sign}{mantissa}e{'-' if power < 0 else '+'}{abs(power):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return f"{sign}{digits}{'0' * (point - len(digits))}"
    return f"{sign}{digits[:point]}.{digits[point:]}"


def _go_format_g(number: float) -> str:
    """strconv.FormatFloat(number, 'g', -1, 64): yaml.v3 writes floats so, and fmt's %v prints them so."""
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "+Inf" if number > 0 else "-Inf"
    power = _shortest_digits(number)[1] - 1
    return _go_format(number, number != 0 and (power < -4 or power >= 6))


def _go_json_float(number: float) -> str:
    """encoding/json's float64: 'f' form, 'e' form below 1e-6 and from 1e21, `e-07` written `e-7`."""
    exponent_form = number != 0 and (abs(number) < 1e-6 or abs(number) >= 1e21)
    text = _go_format(number, exponent_form)
    return re.sub(r"e-0([0-9])$", r"e-\1", text)


_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _go_json_string(text: str) -> str:
    """encoding/json's string: HTML-safe (<, >, & escaped), U+2028 and U+2029 escaped, other non-ASCII as is."""
    out = []
    for char in text:
        if char in _JSON_ESCAPES:
            out.append(_JSON_ESCAPES[char])
        elif char < " " or char in "<>&\u2028\u2029":
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _go_json(value: Any) -> str:
    """json.Marshal of the value the CLI holds: map keys sorted."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_json_float(value)
    if isinstance(value, str):
        return _go_json_string(value)
    if isinstance(value, list):
        return "[" + ",".join(_go_json(item) for item in value) + "]"
    return "{" + ",".join(f"{_go_json_string(k)}:{_go_json(value[k])}" for k in sorted(value)) + "}"


# --- Decoding into Go values (yaml.v3's decoder into interface{}) -------------------------------------------------


@dataclass(eq=False)
class _Item:
    """A decoded value and where it is written: `value` is a Go scalar, a list of _Item or a _Map."""

    value: Any
    node: _Node
    line: int


@dataclass(eq=False)
class _Map:
    """map[string]interface{} (string_keys) or map[interface{}]interface{}: keys are str, or _GoKey."""

    string_keys: bool
    entries: dict[Any, _Item] = field(default_factory=dict)


@dataclass(frozen=True)
class _GoKey:
    """A key of a map[interface{}]interface{}: Go tells 1, 1.0, true and "1" apart."""

    tag: str
    value: Any


class _Origin(NamedTuple):
    node: _Node
    line: int


_SKIPPED = object()
_MAX_DECODED_NODES = 100_000


class _Decoder:
    """yaml.v3's decoder into interface{}: the first of the CLI's two reads of a stack file."""

    def __init__(self) -> None:
        self._aliases: set[int] = set()
        self._decoded = 0
        self._merged: set[Any] | None = None

    def value(self, node: _Node, line: int | None = None) -> _Item:
        try:
            return self._value(node, line)
        except _Refused as refused:
            refused.node = refused.node or node
            raise

    def _value(self, node: _Node, line: int | None) -> _Item:
        self._decoded += 1
        if self._decoded > _MAX_DECODED_NODES:
            raise _Refused(f"its aliases expand to more than {_MAX_DECODED_NODES} values; write the values out")
        if node.kind == "alias":
            return self._alias(node, lambda target: self.value(target, line or node.line))
        if node.kind == "scalar":
            return _Item(_scalar(node), node, line or node.line)
        if node.kind == "sequence":
            return _Item([self.value(item) for item in node.items], node, line or node.line)
        return _Item(self._mapping(node), node, line or node.line)

    def _alias(self, node: _Node, decode: Any) -> Any:
        if id(node) in self._aliases:
            raise _Refused(f"anchor '{node.value}' value contains itself")
        self._aliases.add(id(node))
        try:
            return decode(node.target)
        finally:
            self._aliases.discard(id(node))

    def _mapping(self, node: _Node) -> _Map:
        mapping = _Map(_is_string_map(node))
        self._fill(node, mapping)
        return mapping

    def _fill(self, node: _Node, mapping: _Map) -> None:
        _check_duplicates(node)
        merged, self._merged = self._merged, None
        merge = None
        for key_node, value_node in zip(node.items[::2], node.items[1::2], strict=True):
            if _is_merge(key_node):
                merge = value_node
                continue
            try:
                key = self._key(key_node, mapping.string_keys)
            except _Refused as refused:
                raise _Refused(str(refused), key_node) from None
            if key is _SKIPPED or (merged is not None and key in merged):
                continue
            if merged is not None:
                merged.add(key)
            mapping.entries[key] = self.value(value_node, key_node.line)
        self._merged = merged
        if merge is not None:
            self._merge(node, merge, mapping)

    def _merge(self, parent: _Node, merge: _Node, mapping: _Map) -> None:
        outer = self._merged
        if outer is None:
            self._merged = {self._key(key, mapping.string_keys) for key in parent.items[::2]}
        sources = merge.items if merge.kind == "sequence" else [merge]
        for source in sources:
            target = source.target if source.kind == "alias" else source
            if target is None or target.kind != "mapping":
                raise _Refused("map merge requires map or sequence of maps as the value")
            if source.kind == "alias":
                self._alias(source, lambda node: self._fill(node, mapping))
            else:
                self._fill(source, mapping)
        self._merged = outer

    def _key(self, node: _Node, string_keys: bool) -> Any:
        target = node.target if node.kind == "alias" else node
        if target.kind != "scalar":
            raise _Refused("a mapping or a list cannot be a key")
        value = _scalar(target)
        if not string_keys:
            return _go_key(value)
        if value is None:
            return _SKIPPED  # yaml.v3 cannot put a null key into a map[string]...: the entry is dropped
        return value if isinstance(value, str) else target.value


def _go_key(value: Any) -> Any:
    if isinstance(value, str):
        return _GoKey(_STR, value)
    if isinstance(value, float) and math.isnan(value):
        return _GoKey(_FLOAT, _NaN())
    tag = {bool: _BOOL, int: _INT, float: _FLOAT, _GoTime: _TIMESTAMP, type(None): _NULL}[type(value)]
    return _GoKey(tag, value)


class _NaN:
    """A NaN map key: never equal to another, as in Go, so its value cannot be looked up again (it becomes null)."""


def _scalar(node: _Node) -> Any:
    """yaml.v3's decoder.scalar into interface{}."""
    tag = _short_tag(node.tag) if node.tag else ""
    if tag == _STR or (not tag and not node.plain):
        return node.value
    resolved_tag, value = _resolve(tag, node.value)
    if resolved_tag == _BINARY:
        return _binary(node.value)
    return value


def _binary(text: str) -> str:
    try:
        data = base64.b64decode(text.replace("\n", "").replace("\r", ""), validate=True)
    except binascii.Error as error:
        raise _Refused("!!binary value contains invalid base64 data") from error
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _Refused("!!binary value is not UTF-8 text (the CLI would pass it on mangled)") from error


def _is_merge(node: _Node) -> bool:
    tag = _short_tag(node.tag) if node.tag else ""
    return node.kind == "scalar" and node.value == "<<" and (tag == _MERGE or (not tag and node.plain))


def _node_short_tag(node: _Node) -> str:
    """yaml.v3's Node.ShortTag(): the explicit tag, else what a plain scalar resolves to, else !!str."""
    if node.kind == "alias":
        return _node_short_tag(node.target)
    if node.tag:
        return _short_tag(node.tag)
    if node.kind != "scalar":
        return "!!" + {"sequence": "seq", "mapping": "map"}[node.kind]
    return _resolve_text(node.value, "")[0] if node.plain else _STR


def _is_string_map(node: _Node) -> bool:
    return all(_node_short_tag(key) in (_STR, _MERGE) for key in node.items[::2])


def _check_duplicates(node: _Node) -> None:
    """yaml.v3 refuses two keys of one mapping with the same text (quoted or not), whatever they decode to."""
    seen: dict[tuple[str, str], _Node] = {}
    repeated = []
    for key in node.items[::2]:
        first = seen.setdefault((key.kind, key.value), key)
        if first is not key:
            repeated.append((first, key))
    if repeated:
        listed = ", ".join(f"{key.value!r} (lines {first.line} and {key.line})" for first, key in repeated)
        raise _Refused(f"keys written twice: {listed}; keep one of each", repeated[0][1])


# --- The CLI's steps after decoding: key rules, namespacing, the YAML round trip, the program's strings ----------

_STRING_FIELDS = ("secretsprovider", "encryptedkey", "encryptionsalt")
_KEY_FORM = "<namespace>:<name> (or the old <namespace>:config:<name>)"
_NO_CONFIG = "has no 'config:' mapping (a Pulumi stack file holds its settings under config:)"


class _Loader:
    def __init__(self, source: str, text: str, project: str) -> None:
        self._source = source
        self._text = text
        self._project = project
        self._origins: dict[tuple[str, Path_], _Origin] = {}

    def load(self, root: _Node | None) -> StackFile:
        values: dict[str, Any] = {}
        program: dict[str, str] = {}
        secure: set[str] = set()
        warnings = []
        for key, item in self._keys(self._config_block(root)).items():
            value = self._finish(key, item, ())
            if value is None:
                value = ""
                warnings.append(
                    f"{self._where(item)}{key}: has no value; the Pulumi CLI passes an empty string (and warns that it "
                    'will pass null one day): write "" if that is meant'
                )
            values[key] = value
            program[key] = program_text(value)
            if _contains_secure(value):
                secure.add(key)
        return StackFile(self._source, values, frozenset(secure), tuple(warnings), program, self._origins, self._text)

    def _config_block(self, root: _Node | None) -> _Map:
        try:
            document = _Decoder().value(root) if root is not None else None
        except _Refused as refused:
            raise self._refused(refused) from None
        if document is None or not isinstance(document.value, _Map):
            raise StackFileError(f"{self._source}: {_NO_CONFIG}")
        entries = document.value.entries
        if not document.value.string_keys:
            key = next(key for key in entries if key.tag != _STR)
            raise StackFileError(
                f"{self._where(entries[key])}the top-level key {_key_repr(key)} is not a string; the Pulumi CLI "
                "refuses the file (expected only string keys)"
            )
        for name in _STRING_FIELDS:
            if name in entries and isinstance(entries[name].value, list | _Map):
                raise StackFileError(f"{self._where(entries[name])}{name}: must be a string; the Pulumi CLI refuses it")
        if "config" not in entries or not isinstance(entries["config"].value, _Map):
            raise StackFileError(f"{self._source}: {_NO_CONFIG}")
        return entries["config"].value

    def _keys(self, config: _Map) -> dict[str, _Item]:
        """The CLI's key for each entry: its project namespace added (only when every key is a string), then
        config.ParseKey; two entries for one key are refused (the CLI would keep one of them)."""
        keys: dict[str, _Item] = {}
        written: dict[str, str] = {}
        for raw, item in config.entries.items():
            text = self._key_text(raw, item)
            if config.string_keys and ":" not in text:
                text = f"{self._project}:{text}"
            key = _parse_key(text)
            if key is None:
                raise StackFileError(
                    f"{self._where(item)}config key {text!r} is not of the form {_KEY_FORM}; the Pulumi CLI refuses it"
                )
            if key in keys:
                raise StackFileError(
                    f"{self._where(item)}config keys {written[key]!r} (line {keys[key].line}) and {text!r} both set "
                    f"{key}; the Pulumi CLI would keep only one of them: keep one"
                )
            keys[key], written[key] = item, text
        return keys

    def _key_text(self, raw: Any, item: _Item) -> str:
        if isinstance(raw, str):
            return raw
        if raw.tag == _STR:
            return raw.value
        if raw.tag == _NULL:
            raise StackFileError(
                f"{self._where(item)}a config key is null; the Pulumi CLI drops its value: name the key"
            )
        return _yaml_text(raw.value)

    def _finish(self, key: str, item: _Item, path: Path_) -> Any:
        """The value after the CLI's YAML round trip, as its config.Map holds it; records where each part is."""
        self._origins[(key, path)] = _Origin(item.node, item.line)
        value = item.value
        if isinstance(value, list):
            return [self._finish(key, child, (*path, index)) for index, child in enumerate(value)]
        if isinstance(value, _Map):
            result: dict[str, Any] = {}
            self._collect(key, value, path, result)
            return result
        if isinstance(value, float) and not math.isfinite(value):
            raise StackFileError(
                f"{self._where(item)}{_key_path(key, path)}: {self._typed(item.node)} is not a number JSON can carry; "
                f"the Pulumi CLI refuses the file (json: unsupported value: {_go_format_g(value)}); quote it if it is "
                "text"
            )
        return _round_trip(value)

    def _collect(self, key: str, mapping: _Map, path: Path_, result: dict[str, Any]) -> None:
        """Fills `result` as the CLI's second read fills a map. A key `<<` that the file quoted is written back
        unquoted, so that read takes it as a merge: its explicit keys first, then the merged maps', first one wins."""
        merge = None
        for name, child in self._named(key, mapping, path).items():
            if name == "<<":
                merge = child
            elif name not in result:
                result[name] = None if child is None else self._finish(key, child, (*path, name))
        for source in self._merge_sources(key, merge, path) if merge is not None else ():
            self._collect(key, source, path, result)

    def _merge_sources(self, key: str, merge: _Item, path: Path_) -> list[_Map]:
        sources = merge.value if isinstance(merge.value, list) else [merge]
        if all(isinstance(source.value, _Map) for source in sources):
            return [source.value for source in sources]
        raise StackFileError(
            f"{self._where(merge)}{_key_path(key, path)}: the key '<<' is written back unquoted by the Pulumi CLI and "
            "then read as a merge, which requires a map or a list of maps as the value; rename the key"
        )

    def _named(self, key: str, mapping: _Map, path: Path_) -> dict[str, _Item | None]:
        """The map's entries by the names the CLI gives them; a non-string key is named as Go's %v prints it."""
        if mapping.string_keys:
            return dict(mapping.entries)
        named = {}
        written = {}
        for raw, child in mapping.entries.items():
            name = _go_v(raw)
            for text in dict.fromkeys([name, _yaml_text(raw.value) if raw.tag != _STR else raw.value]):
                if text in written and written[text] is not raw:
                    raise StackFileError(
                        f"{self._where(child)}{_key_path(key, path)}: the keys {_key_repr(written[text])} and "
                        f"{_key_repr(raw)} both become {text!r}; the Pulumi CLI would refuse or keep only one: keep one"
                    )
                written[text] = raw
            named[name] = None if isinstance(raw.value, _NaN) else child  # Go cannot look a NaN key up again
        return named

    def _typed(self, node: _Node) -> str:
        return _PROPERTIES.sub("", self._text[node.start : node.end])

    def _where(self, item: _Item) -> str:
        return f"{self._source}:{item.line}: "

    def _refused(self, refused: _Refused) -> StackFileError:
        line = f":{refused.node.line}" if refused.node is not None else ""
        return StackFileError(f"{self._source}{line}: {refused}; the Pulumi CLI refuses the file")


def _parse_key(text: str) -> str | None:
    """config.ParseKey: `ns:name`, or `ns:config:name` (read as `ns:name`)."""
    parts = text.split(":")
    if len(parts) == 2:
        return text
    if len(parts) == 3 and parts[1] == "config":
        return f"{parts[0]}:{parts[2]}"
    return None


def _yaml_text(value: Any) -> str:
    """The text yaml.v3 writes for a Go value (a map key) in the CLI's round trip."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _NaN):
        return ".nan"
    if isinstance(value, float):
        text = _go_format_g(value)
        return {"+Inf": ".inf", "-Inf": "-.inf"}.get(text, text)
    if isinstance(value, _GoTime):
        return value.rfc3339nano()
    return "null" if value is None else str(value)


def _go_v(key: _GoKey) -> str:
    """fmt.Sprintf("%v", key) of the key as the CLI reads it back: how it names a non-string key in JSON."""
    if key.tag == _STR:
        return key.value
    if isinstance(key.value, _NaN):
        return "NaN"
    value = _resolve_text(_yaml_text(key.value), "")[1]
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_format_g(value)
    return value.go_string() if isinstance(value, _GoTime) else str(value)


def _round_trip(value: Any) -> Any:
    """A scalar after yaml.v3 wrote it and read it back, as config's unmarshalObject keeps it: 8.0 -> 8, -0.0 -> 0,
    a time -> Go's text of it (or the text written, if Go cannot read its own offset back)."""
    if isinstance(value, float):
        value = _resolve_text(_go_format_g(value), "")[1]
    elif isinstance(value, _GoTime):
        value = _resolve_text(value.rfc3339nano(), "")[1]
    return value.go_string() if isinstance(value, _GoTime) else value


def program_text(value: Any) -> str:
    """config.Value's string: text as is, a secure value's ciphertext, anything else as Go's JSON."""
    if isinstance(value, str):
        return value
    if _is_secure(value):
        return value["secure"]
    return _go_json(value)


def _is_secure(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("secure"), str)


def _contains_secure(value: Any) -> bool:
    if _is_secure(value):
        return True
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return any(_contains_secure(child) for child in children)


def _key_path(key: str, path: Path_) -> str:
    return key + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)


def _key_repr(key: Any) -> str:
    if isinstance(key, _GoKey):
        return repr(key.value) if key.tag == _STR else _yaml_text(key.value)
    return repr(key)
