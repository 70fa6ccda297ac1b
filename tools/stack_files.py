"""The stack files in stacks/: their names, and each read exactly as the Pulumi CLI reads it (tools/pulumi_yaml)."""

import re
from pathlib import Path
from typing import Any

from tools.pulumi_yaml import StackFile, StackFileError, load_stack_file

# What Pulumi accepts as a stack name: letters, digits, '-', '_' and '.', at most 100 characters.
STACK_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")
STACK_NAME_ACCEPTED = "letters, digits, '-', '_' and '.', at most 100 characters"

STACKS_DIR = Path(__file__).resolve().parent.parent / "stacks"

__all__ = ["STACKS_DIR", "StackFile", "StackFileError", "read_stack_config", "read_stack_file", "stack_config"]


def stack_name_of(path: Path) -> str:
    """`Pulumi.review.yaml` -> `review`, as the Pulumi CLI names a stack after its file."""
    name = path.name.removeprefix("Pulumi.")
    for suffix in (".yaml", ".yml"):
        name = name.removesuffix(suffix)
    return name


def stack_names() -> list[str]:
    return sorted(stack_name_of(path) for path in STACKS_DIR.glob("Pulumi.*.yaml"))


def stack_file(stack: str) -> Path:
    return STACKS_DIR / f"Pulumi.{stack}.yaml"


def read_stack_file(path: Path) -> StackFile:
    """Missing, unreadable or not a stack file: StackFileError naming the file, the place and what is wrong."""
    if not path.is_file():
        raise StackFileError(f"{path}: does not exist or is not a file")
    return load_stack_file(path)


def read_stack_config(path: Path) -> dict[str, Any]:
    """The `config:` block with the values Pulumi holds (an unquoted 012345678901 is the number 12345678901)."""
    return read_stack_file(path).config


def stack_config(stack: str) -> dict[str, Any]:
    return read_stack_config(stack_file(stack))
