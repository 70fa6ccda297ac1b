"""End to end: the Pulumi SDK itself (tests/support/pulumi_config_oracle, built with Go) still answers every case in
tests/support/pulumi_yaml_cases.json as the committed table says, so tests/test_pulumi_yaml.py holds our reader to
the real thing. Needs Go and the Go module proxy on first run (the build is cached in ~/.cache/spinnaker-ecr/oracle);
without them it fails and says how to build, it never skips."""

import json

import pytest

from tests.support.pulumi_yaml_oracle import CASES, CASES_FILE, OracleUnavailable, run_oracle, table

pytestmark = pytest.mark.e2e


def test_the_committed_table_is_what_the_pulumi_sdk_answers() -> None:
    try:
        answers = run_oracle(CASES)
    except OracleUnavailable as error:
        pytest.fail(str(error), pytrace=False)
    expected = json.loads(CASES_FILE.read_text(encoding="utf-8"))
    assert table(CASES, answers) == expected, (
        "the table drifted from the Pulumi SDK or from CASES: run `python -m tests.support.pulumi_yaml_oracle`, "
        "then read `git diff tests/support/pulumi_yaml_cases.json`"
    )
