"""`python -m tools.stack_schema`: write the JSON Schema of a stack file, generated from components/model.py.

Every stack file names it on its first line (`# yaml-language-server: $schema=stack-file.schema.json`), so editors
with the YAML language server complete and check keys. tests/test_stack_schema.py fails when the committed file is
not what the models generate: run this command after changing a model.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from components.model import PROJECT, StackConfig
from components.partitions import supported_regions
from components.settings import OTHER_NAMESPACES
from tools.stack_files import STACKS_DIR

SCHEMA_FILE = STACKS_DIR / "stack-file.schema.json"
SCHEMA_LINE = f"# yaml-language-server: $schema={SCHEMA_FILE.name}"
# Namespaces whose keys belong to the providers (kubernetes:context, ...) or to Pulumi itself.


def stack_file_schema() -> dict[str, Any]:
    """The whole `Pulumi.<stack>.yaml`: this program's keys under `config:` with their namespace."""
    program = StackConfig.model_json_schema(by_alias=True, ref_template="#/$defs/{model}")
    config_properties = {f"{PROJECT}:{key}": value for key, value in program["properties"].items()}
    config_properties["aws:region"] = {
        "type": "string",
        "enum": supported_regions(),
        "description": "the AWS provider's region: where the IAM calls go and (pod-identity) the EKS cluster is",
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{PROJECT} stack file (stacks/Pulumi.<stack>.yaml)",
        "type": "object",
        "properties": {
            "config": {
                "type": "object",
                "properties": config_properties,
                "required": [f"{PROJECT}:{key}" for key in program.get("required", [])],
                "patternProperties": {f"^({'|'.join(OTHER_NAMESPACES)}):": {}},
                "additionalProperties": False,
            },
            "secretsprovider": {"type": "string"},
            "encryptedkey": {"type": "string"},
            "encryptionsalt": {"type": "string"},
            "environment": {},
        },
        "required": ["config"],
        "additionalProperties": False,
        "$defs": program.get("$defs", {}),
    }


def schema_text() -> str:
    return json.dumps(stack_file_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None, path: Path = SCHEMA_FILE) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.stack_schema", description=f"Write {path.name}, the JSON Schema of a stack file."
    )
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if the file is not current")
    args = parser.parse_args(argv)
    if args.check:
        current = path.is_file() and path.read_text(encoding="utf-8") == schema_text()
        sys.stdout.write(f"{path} is {'current' if current else 'out of date: run python -m tools.stack_schema'}\n")
        return 0 if current else 1
    path.write_text(schema_text(), encoding="utf-8")
    sys.stdout.write(f"Wrote {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
