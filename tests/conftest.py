"""Shared by the program tests: one offline run of each stack file, cached per session."""

import pytest

from tools.offline import ProgramRun, run_program
from tools.stack_files import stack_config, stack_names


@pytest.fixture(scope="session")
def stack_runs() -> dict[str, ProgramRun]:
    return {stack: run_program(stack_config(stack), stack) for stack in stack_names()}
