"""The stack files in stacks/: their names and their `config:` blocks."""

from pathlib import Path
from typing import Any

import yaml

STACKS_DIR = Path(__file__).resolve().parent.parent / "stacks"


class StackFileError(ValueError):
    """A stack file that is missing, not YAML, or has no `config:` mapping."""


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


def read_stack_config(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise StackFileError(f"{path}: is not valid YAML: {error}") from error
    config = document.get("config") if isinstance(document, dict) else None
    if not isinstance(config, dict):
        raise StackFileError(f"{path}: has no 'config:' mapping (a Pulumi stack file holds its settings under config:)")
    return config


def stack_config(stack: str) -> dict[str, Any]:
    return read_stack_config(stack_file(stack))
