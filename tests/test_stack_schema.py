"""The stack-file JSON Schema: generated from the models, committed, named by every stack file, and as strict as
the settings module on what editors can check."""

import copy
import runpy
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

import tools.stack_files
import tools.stack_schema
from tools.stack_files import stack_file, stack_names
from tools.stack_schema import SCHEMA_FILE, SCHEMA_LINE, schema_text, stack_file_schema

VALIDATOR = jsonschema.Draft202012Validator(stack_file_schema())


def document(stack: str) -> dict[str, Any]:
    return yaml.safe_load(stack_file(stack).read_text(encoding="utf-8"))


def test_the_committed_schema_is_what_the_models_generate() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), "run: python -m tools.stack_schema"


def test_the_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(stack_file_schema())


@pytest.mark.parametrize("stack", stack_names())
def test_every_stack_file_names_the_schema_on_its_first_line(stack: str) -> None:
    assert stack_file(stack).read_text(encoding="utf-8").splitlines()[0] == SCHEMA_LINE


@pytest.mark.parametrize("stack", stack_names())
def test_every_stack_file_is_valid_under_the_schema(stack: str) -> None:
    assert list(VALIDATOR.iter_errors(document(stack))) == []


def changed(stack: str, edit: Any) -> dict[str, Any]:
    changed_document = copy.deepcopy(document(stack))
    edit(changed_document["config"])
    return changed_document


@pytest.mark.parametrize(
    "edit",
    [
        lambda c: c.__setitem__("spinnaker-ecr:registrys", []),
        lambda c: c.__setitem__("spinaker-ecr:registries", []),
        lambda c: c["spinnaker-ecr:registries"][0].__setitem__("accountId", 12345678901),
        lambda c: c["spinnaker-ecr:registries"][0].__setitem__("region", "eu-wset-1"),
        lambda c: c["spinnaker-ecr:registries"][0].__setitem__("passwordFile", "/etc/passwords/x.pass"),
        lambda c: c["spinnaker-ecr:tokenRefresh"].__setitem__("method", "password-command"),
        lambda c: c["spinnaker-ecr:tokenRefresh"].__setitem__("auth", {"jwt": {}}),
        lambda c: c["spinnaker-ecr:access"].__setitem__("mode", "kiam"),
        lambda c: c.__setitem__("aws:region", "us-est-2"),
        lambda c: c.pop("spinnaker-ecr:registries"),
    ],
    ids=[
        "unknown key",
        "mistyped namespace",
        "unquoted account id",
        "mistyped region",
        "derived field",
        "image under password-command",
        "auth under sidecar",
        "unknown mode",
        "mistyped aws region",
        "no registries",
    ],
)
def test_editors_flag_what_settings_refuse(edit: Any) -> None:
    assert list(VALIDATOR.iter_errors(changed("dev", edit)))


def test_the_command_writes_the_schema_and_exits_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m tools.stack_schema` writes stacks/stack-file.schema.json (here under tmp_path) and says so."""
    monkeypatch.setattr(tools.stack_files, "STACKS_DIR", tmp_path)
    monkeypatch.setattr("sys.argv", ["python -m tools.stack_schema"])
    with pytest.warns(RuntimeWarning, match="found in sys.modules"), pytest.raises(SystemExit) as exited:
        runpy.run_module("tools.stack_schema", run_name="__main__")
    assert exited.value.code == 0
    written = tmp_path / "stack-file.schema.json"
    assert written.read_text(encoding="utf-8") == schema_text()
    assert capsys.readouterr().out == f"Wrote {written}\n"


def test_the_schema_keeps_text_that_is_not_ascii_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tools.stack_schema, "stack_file_schema", lambda: {"description": "a key — or two"})
    assert schema_text() == '{\n  "description": "a key — or two"\n}\n'


def test_check_writes_nothing_and_says_whether_the_file_is_current(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "stack-file.schema.json"
    assert tools.stack_schema.main(["--check"], path) == 1
    assert not path.exists()
    assert "out of date" in capsys.readouterr().out
    path.write_text(schema_text(), encoding="utf-8")
    assert tools.stack_schema.main(["--check"], path) == 0
    assert capsys.readouterr().out == f"{path} is current\n"
    path.write_text(schema_text() + " ", encoding="utf-8")
    assert tools.stack_schema.main(["--check"], path) == 1


def test_help_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "stack-file.schema.json"
    with pytest.raises(SystemExit) as exited:
        tools.stack_schema.main(["--help"], path)
    assert exited.value.code == 0 and not path.exists()
