"""`python -m tools.render`: every stack renders, the files say what the program registers, renders are
byte-identical, the dev render matches the golden files, and bad input exits 2 without writing anything.

Update the golden files on purpose, after reading the diff:
    UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_render.py
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

import tools.render
from tools.halyard import HalyardError
from tools.offline import ROOT
from tools.output_directory import replace_directory
from tools.render import SUMMARY_FILE, Render, main, render
from tools.stack_files import stack_config, stack_file, stack_names

STACKS = stack_names()
GOLDEN_DIR = Path(__file__).resolve().parent / "golden" / "dev"
SPINNAKER_SERVICE_PATCH = ":SpinnakerServicePatch"


@pytest.fixture(scope="module")
def renders() -> dict[str, Render]:
    """Each stack rendered once, in memory, with the Halyard files."""
    return {stack: render(stack, stack_config(stack), halyard=True) for stack in STACKS}


def files_under(directory: Path) -> dict[str, str]:
    return {
        path.relative_to(directory).as_posix(): path.read_bytes().decode("utf-8")
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


def rendered_objects(result: Render) -> dict[str, dict[str, Any]]:
    return {path: yaml.safe_load(text) for path, text in result.files.items() if path.startswith("kubernetes/")}


def one_object(result: Render, kind: str) -> dict[str, Any]:
    (found,) = [document for document in rendered_objects(result).values() if document["kind"] == kind]
    return found


def bad_stack_file(directory: Path) -> Path:
    """A number for an account id, and irsa with neither a cluster nor an OIDC provider."""
    config = stack_config("dev")
    config["spinnaker-ecr:access"] = {"mode": "irsa", "serviceAccount": {"name": "spin-clouddriver"}}
    config["spinnaker-ecr:registries"] = [{"name": "ecr-dev", "accountId": 12345, "region": "us-east-1"}]
    path = directory / "Pulumi.bad.yaml"
    path.write_text(yaml.safe_dump({"config": config}))
    return path


# --- what the files hold --------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_every_custom_resource_has_its_own_file(stack: str, renders: dict[str, Render]) -> None:
    result = renders[stack]
    listed = {resource["file"] for resource in result.summary["resources"] if resource["custom"]}
    rendered = {path for path in result.files if path.startswith(("kubernetes/", "aws/"))}
    assert listed == rendered
    components = [resource for resource in result.summary["resources"] if not resource["custom"]]
    assert components and all(resource["file"] is None for resource in components)
    for path, document in rendered_objects(result).items():
        assert list(document)[:3] == ["apiVersion", "kind", "metadata"], path
        assert document["metadata"]["name"] and ("spec" in document or "data" in document or "kind" in document)
    for path, text in result.files.items():
        if path.startswith("aws/"):
            document = json.loads(text)
            assert list(document) == ["type", "name", "inputs"] and document["type"].startswith("aws:"), path
        assert text.endswith("\n") and not text.endswith("\n\n"), path


@pytest.mark.parametrize("stack", STACKS)
def test_config_map_and_spinnaker_service_agree(stack: str, renders: dict[str, Render]) -> None:
    """What the sidecar writes (config.yaml) is what clouddriver reads (the accounts' passwordFile)."""
    result = renders[stack]
    config_map = one_object(result, "ConfigMap")
    refresh_config = yaml.safe_load(config_map["data"]["config.yaml"])
    spinnaker_config = one_object(result, "SpinnakerService")["spec"]["spinnakerConfig"]
    ours = set(result.summary["outputs"]["accountNames"])
    accounts = [
        a for a in spinnaker_config["profiles"]["clouddriver"]["dockerRegistry"]["accounts"] if a["name"] in ours
    ]
    assert [a["passwordFile"] for a in accounts] == [r["passwordFile"] for r in refresh_config["registries"]]
    for account, registry in zip(accounts, refresh_config["registries"], strict=True):
        assert account["address"].startswith(f"https://{registry['registryId']}.dkr.ecr.{registry['region']}.")
    mounts = [
        mount["configMapName"]
        for sidecars in spinnaker_config["config"]["deploymentEnvironment"]["sidecars"].values()
        for sidecar in sidecars
        for mount in sidecar.get("configMapVolumeMounts", [])
    ]
    assert mounts == [config_map["metadata"]["name"]] == [result.summary["outputs"]["configMapName"]]


def test_policy_documents_are_objects_and_numbers_stay_whole(renders: dict[str, Render]) -> None:
    role = json.loads(renders["staging"].files["aws/spinnaker-ecr-access-role.json"])
    (statement,) = role["inputs"]["assumeRolePolicy"]["Statement"]
    assert statement["Principal"]["Federated"].startswith("arn:aws:iam::444455556666:oidc-provider/")
    patch = renders["prod"].files["kubernetes/spinnakerservice-spinnaker-patch.yaml"]
    assert "cacheIntervalSeconds: 60\n" in patch and "60.0" not in patch


def test_dev_node_role_attachment_is_flagged_as_kept_on_destroy(renders: dict[str, Render]) -> None:
    (attachment,) = [r for r in renders["dev"].summary["resources"] if r["type"].endswith(":RolePolicyAttachment")]
    assert attachment["facts"] == {
        "policy": "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
        "role": "eks-dev-node-role",
        "retainOnDelete": True,
    }


def test_generated_values_are_marked_placeholders(renders: dict[str, Render]) -> None:
    staging = renders["staging"].files
    annotation = yaml.safe_load(staging["kubernetes/serviceaccount-spin-clouddriver-patch.yaml"])["metadata"]
    assert annotation["annotations"]["eks.amazonaws.com/role-arn"] == (
        "arn:aws:iam::<account-id>:role/spinnaker-ecr-access-role-<generated>"
    )
    assert json.loads(staging["aws/spinnaker-ecr-access-ecr-read-only.json"])["inputs"]["role"].endswith("-<generated>")


def test_dev_render_matches_the_golden_files(renders: dict[str, Render]) -> None:
    files = renders["dev"].files
    if os.environ.get("UPDATE_GOLDEN") == "1":
        replace_directory(GOLDEN_DIR, files, marker=SUMMARY_FILE)
    golden = files_under(GOLDEN_DIR)
    assert sorted(files) == sorted(golden), "file set changed: UPDATE_GOLDEN=1 after checking it is intended"
    for path, text in files.items():
        diff = "".join(difflib.unified_diff(golden[path].splitlines(True), text.splitlines(True), path, path))
        assert not diff, f"{path} differs from the golden file (UPDATE_GOLDEN=1 if intended):\n{diff}"


# --- the command ----------------------------------------------------------------------------------------------


def test_two_renders_in_two_processes_are_byte_identical(tmp_path: Path, renders: dict[str, Render]) -> None:
    out = tmp_path / "dev"
    command = [sys.executable, "-m", "tools.render", "--stack", "dev", "--halyard", "--out", str(out)]
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False, timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert files_under(out) == renders["dev"].files
    again = render("dev", stack_config("dev"), halyard=True)
    assert again.files == renders["dev"].files
    assert f"Wrote {len(renders['dev'].files)} files to {out}" in finished.stdout


@pytest.mark.parametrize("stack", stack_names())
def test_every_stack_renders_identically_twice_with_the_real_config_map_name(
    stack: str, renders: dict[str, Render]
) -> None:
    again = render(stack, stack_config(stack), halyard=True)
    assert again.files == renders[stack].files
    patch = renders[stack].files["kubernetes/spinnakerservice-spinnaker-patch.yaml"]
    assert "<generated>" not in patch, "the ConfigMap is named by its content, so the patch shows the real name"
    if renders[stack].summary["outputs"]["configMapName"] is not None:
        assert re.fullmatch(r"token-refresh-config-[a-z0-9]{10}", renders[stack].summary["outputs"]["configMapName"])


def test_table_shows_the_facts_that_matter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--stack", "staging", "--out", str(tmp_path / "staging")]) == 0
    table = capsys.readouterr().out
    # Long facts wrap at 120 columns: compare without the whitespace wrapping adds.
    flat = re.sub(r"\s", "", table)
    provider = stack_config("staging")["spinnaker-ecr:access"]["oidcProviderArn"]
    for fact in (
        f"trust=Federated {provider}",
        "subject=system:serviceaccount:spinnaker-staging:spin-clouddriver",
        "policy=arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
        "registries=444455556666 eu-west-1, 777788889999 eu-west-1",
        "target=SpinnakerService spinnaker-staging/spinnaker",
        "clouddriver accounts=ecr-staging, ecr-shared",
        "sidecars[clouddriver]=token-refresh",
        "eks.amazonaws.com/role-arn: arn:aws:iam::<account-id>:role/",
    ):
        assert re.sub(r"\s", "", fact) in flat, fact


@pytest.mark.parametrize("stack", stack_names())
def test_the_table_fits_120_columns(stack: str, renders: dict[str, Render]) -> None:
    from tools.summary import summary_table

    table = summary_table(renders[stack].summary)
    assert max(len(line) for line in table.splitlines()) <= 120
    for resource in renders[stack].summary["resources"]:
        assert resource["name"] in table


def test_external_secrets_objects_are_rendered_and_summarised() -> None:
    config = stack_config("staging")
    config["spinnaker-ecr:tokenRefresh"] = {"method": "external-secrets", "interval": "1h"}
    result = render("staging", config, halyard=False)
    secret = yaml.safe_load(result.files["kubernetes/externalsecret-ecr-token-eu-west-1.yaml"])
    generator = yaml.safe_load(result.files["kubernetes/ecrauthorizationtoken-ecr-token-eu-west-1.yaml"])
    assert (secret["apiVersion"], generator["apiVersion"]) == (
        "external-secrets.io/v1",
        "generators.external-secrets.io/v1alpha1",
    )
    facts = {r["name"]: r["facts"] for r in result.summary["resources"]}
    assert facts["spinnaker-ecr-refresh-eu-west-1"]["refreshInterval"] == "1h"
    assert facts["spinnaker-ecr-refresh-eu-west-1-generator"]["region"] == "eu-west-1"


def test_json_summary_lists_every_resource(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "prod"
    assert main(["--stack", "prod", "--format", "json", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    summary = json.loads(printed)
    assert printed == (out / SUMMARY_FILE).read_text()
    types = {resource["type"] for resource in summary["resources"]}
    assert {"aws:iam/role:Role", "kubernetes:core/v1:ConfigMap", "kubernetes:core/v1:ServiceAccount"} <= types
    assert any(t.endswith(SPINNAKER_SERVICE_PATCH) for t in types)
    assert all((out / r["file"]).is_file() for r in summary["resources"] if r["file"])
    assert not (out / "halyard").exists(), "halyard/ only with --halyard"


def test_config_file_names_the_stack_and_the_default_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config_file = tmp_path / "Pulumi.review.yaml"
    config_file.write_text(stack_file("dev").read_text())
    monkeypatch.chdir(tmp_path)
    assert main(["--config-file", str(config_file), "--format", "json"]) == 0
    out = tmp_path / "rendered" / "review"
    assert json.loads(capsys.readouterr().out)["stack"] == "review"
    patch = yaml.safe_load((out / "kubernetes" / "spinnakerservice-spinnaker-patch.yaml").read_text())
    assert patch["metadata"]["annotations"]["pulumi.com/patchFieldManager"] == "spinnaker-ecr-review"


def test_invalid_config_exits_2_with_the_programs_messages_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "rendered" / "bad"
    assert main(["--config-file", str(bad_stack_file(tmp_path)), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "spinnaker-ecr:registries[0].accountId: 12345 is a number" in captured.err
    assert "spinnaker-ecr:access.oidcProviderArn: is required" in captured.err
    assert not (tmp_path / "rendered").exists()


def test_a_failed_render_leaves_the_earlier_render_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "dev"
    assert main(["--stack", "dev", "--out", str(out)]) == 0
    before = files_under(out)
    assert main(["--config-file", str(bad_stack_file(tmp_path)), "--out", str(out)]) == 2
    assert files_under(out) == before


def test_a_new_render_replaces_the_old_one_wholly(tmp_path: Path) -> None:
    out = tmp_path / "dev"
    assert main(["--stack", "dev", "--out", str(out), "--halyard"]) == 0
    (out / "kubernetes" / "configmap-left-over.yaml").write_text("stale\n")
    assert main(["--stack", "dev", "--out", str(out)]) == 0
    assert not (out / "kubernetes" / "configmap-left-over.yaml").exists()
    assert not (out / "halyard").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["dev"], "no staging or retired directory left behind"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--stack", "nope"], "--stack: 'nope' has no stack file stacks/Pulumi.nope.yaml (stacks: "),
        (["--config-file", "missing.yaml"], "--config-file: 'missing.yaml' does not exist"),
        (["--config-file", "Pulumi.yaml"], "has no 'config:' mapping"),
    ],
)
def test_missing_or_malformed_stack_file_exits_2(
    arguments: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: spinnaker-ecr\nruntime: python\n")
    monkeypatch.chdir(tmp_path)
    assert main([*arguments, "--out", str(tmp_path / "out")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_refuses_to_replace_a_directory_that_is_not_a_render(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    assert main(["--stack", "dev", "--out", str(tmp_path)]) == 2
    assert "is not an earlier render" in capsys.readouterr().err
    assert files_under(tmp_path) == {"notes.txt": "mine\n"}


def test_a_value_pulumi_reads_differently_is_quoted_as_typed_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = stack_file("dev").read_text(encoding="utf-8").replace('accountId: "111122223333"', "accountId: 012345670123")
    config_file = tmp_path / "Pulumi.typed.yaml"
    config_file.write_text(text, encoding="utf-8")
    line = text.splitlines().index("      accountId: 012345670123") + 1
    assert main(["--config-file", str(config_file), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert (
        f"line {line}: spinnaker-ecr:registries[0].accountId: 012345670123 (Pulumi reads 1402433619) is a number: "
        "quote it" in error
    ), error
    assert not (tmp_path / "out").exists()


def test_the_render_reads_stack_files_as_the_cli_does(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """PyYAML would read the unquoted id as the string '012345678901' and render; the CLI reads a number."""
    text = stack_file("dev").read_text(encoding="utf-8").replace('accountId: "111122223333"', "accountId: 012345678901")
    config_file = tmp_path / "Pulumi.yaml12.yaml"
    config_file.write_text(text, encoding="utf-8")
    assert yaml.safe_load(text)["config"]["spinnaker-ecr:registries"][0]["accountId"] == "012345678901"
    assert main(["--config-file", str(config_file), "--out", str(tmp_path / "out")]) == 2
    assert "012345678901 (Pulumi reads 12345678901) is a number" in capsys.readouterr().err


def test_json_summary_keeps_text_that_is_not_ascii_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real_summary = tools.render.summary
    monkeypatch.setattr(tools.render, "summary", lambda *args: {**real_summary(*args), "note": "café — ok"})
    out = tmp_path / "dev"
    assert main(["--stack", "dev", "--format", "json", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert '"note": "café — ok"' in printed
    assert printed == (out / SUMMARY_FILE).read_text(encoding="utf-8")


def test_halyard_is_a_keyword_argument() -> None:
    with pytest.raises(TypeError):
        render("dev", {}, True)  # type: ignore[misc]
    with pytest.raises(TypeError):
        tools.render.render_engine_config("dev", {}, True)  # type: ignore[misc]


def test_a_run_error_from_the_program_exits_2_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def stopped(*args: Any) -> Any:
        raise pulumi.RunError("the program stopped")

    monkeypatch.setattr(tools.render, "run_with_engine_config", stopped)
    out = tmp_path / "dev"
    assert main(["--stack", "dev", "--out", str(out)]) == 2
    assert capsys.readouterr().err == f"render: {stack_file('dev')}: the program stopped\n"
    assert not out.exists()


def test_what_halyard_cannot_carry_exits_2_with_its_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refused(*args: Any) -> Any:
        raise HalyardError("--halyard: spec.spinnakerConfig ['x'] has no Halyard file here")

    monkeypatch.setattr(tools.render, "halyard_files", refused)
    out = tmp_path / "dev"
    assert main(["--stack", "dev", "--halyard", "--out", str(out)]) == 2
    assert capsys.readouterr().err == "render: --halyard: spec.spinnakerConfig ['x'] has no Halyard file here\n"
    assert not out.exists()


def test_a_render_is_frozen(renders: dict[str, Render]) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        renders["dev"].stack = "prod"  # type: ignore[misc]


def test_the_format_is_read_by_value_as_a_real_command_line_gives_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """sys.argv's strings are new objects, not the interned literal "json"."""
    json_format = "".join(["js", "on"])
    assert main(["--stack", "dev", "--format", json_format, "--out", str(tmp_path / "dev")]) == 0
    assert json.loads(capsys.readouterr().out)["stack"] == "dev"
