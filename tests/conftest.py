"""Shared by the program tests: the stack files and one offline run of each, cached per session."""

from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.offline import ProgramRun, run_program

STACKS_DIR = Path(__file__).resolve().parent.parent / "stacks"
STACKS = sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in STACKS_DIR.glob("Pulumi.*.yaml"))


def stack_config(stack: str) -> dict[str, Any]:
    return yaml.safe_load((STACKS_DIR / f"Pulumi.{stack}.yaml").read_text())["config"]


@pytest.fixture(scope="session")
def stack_runs() -> dict[str, ProgramRun]:
    return {stack: run_program(stack_config(stack), stack) for stack in STACKS}
