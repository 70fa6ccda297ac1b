"""End to end: the Pulumi SDK itself (tests/support/pulumi_config_oracle, built with Go) still answers every case in
tests/support/pulumi_yaml_cases.json as the committed table says, and reads the repository's stack files, as they
are now, exactly as tools.pulumi_yaml does. Needs Go and the Go module proxy on first run (the build is cached in
~/.cache/spinnaker-ecr/oracle); without them it fails and says how to build, it never skips."""

import json
from pathlib import Path

import pytest

from tests.support.pulumi_yaml_oracle import CASES_FILE, ROOT, Case, OracleUnavailable, run_oracle, table
from tools.pulumi_yaml import load_stack_file

pytestmark = pytest.mark.e2e


def oracle(cases: list[Case]) -> list[dict]:
    try:
        return run_oracle(cases)
    except OracleUnavailable as error:
        pytest.fail(str(error), pytrace=False)


def test_the_committed_table_is_what_the_pulumi_sdk_answers() -> None:
    committed = json.loads(CASES_FILE.read_text(encoding="utf-8"))
    cases = [
        Case(row["name"], row["text"], row.get("refuse"), row.get("deliberate"), tuple(row["cli"].get("one_of", ())))
        for row in committed["cases"]
    ]
    assert table(cases, oracle(cases)) == committed, (
        "the Pulumi SDK now answers differently: run `python -m tests.support.pulumi_yaml_oracle`, then read "
        "`git diff tests/support/pulumi_yaml_cases.json`"
    )


def test_the_stack_files_read_as_the_pulumi_sdk_reads_them() -> None:
    paths = sorted((ROOT / "stacks").glob("Pulumi.*.yaml"))
    answers = oracle([Case(path.name, path.read_text(encoding="utf-8")) for path in paths])
    for path, answer in zip(paths, answers, strict=True):
        assert load_stack_file(Path(path)).program_config() == answer.get("config"), path.name
