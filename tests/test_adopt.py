"""`python -m tools.adopt`: each hand-made setup under tests/fixtures/adopt/ adopts into a stack file that, once an
access block is written, runs through the real program (tools.offline.run_program) and gives back the same accounts
with the same options, each fed by the same registry (account id and region), and the extra sidecars, accounts and
volumes verbatim. Bad input is named (file, key, value) with exit 2, and nothing is written.

The expectations are read from the fixtures here, independently of tools/adopt_*.py.
"""

from __future__ import annotations

import copy
import itertools
import os
import re
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from components.model import ACCESS_MODES, PROJECT
from components.settings import SettingsError
from tools.adopt import main
from tools.adopt_inputs import read_config_map, read_spinnaker_service
from tools.adopt_join import adopt as join
from tools.adopt_migration import migration_steps
from tools.offline import ROOT, ProgramRun, run_program
from tools.stack_files import read_stack_config, stack_file
from tools.stack_schema import SCHEMA_LINE, stack_file_schema

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "adopt"
SETUPS = sorted(path.name for path in FIXTURES.iterdir() if path.is_dir())
NODE_ROLE = {"mode": "node-role", "nodeRoleName": "eks-node-role"}
# What the user writes after adopting; the HA setup runs this project's image, so it can use IRSA.
ACCESS = {
    "published": NODE_ROLE,
    "halyard-style": NODE_ROLE,
    "two-managers": NODE_ROLE,
    "ha-armory": {
        "mode": "irsa",
        "oidcProviderArn": "arn:aws:iam::210987654321:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABCDEF",
        "serviceAccount": {"name": "spin-clouddriver"},
    },
}
# (ECR accounts, extra accounts, extra sidecars, extra volumes) each setup holds: the round trip must see them all.
COUNTS = {
    "published": (1, 0, 0, 0),
    "ha-armory": (2, 1, 1, 1),
    "halyard-style": (1, 1, 0, 0),
    "two-managers": (2, 0, 0, 0),
}
# Halyard's own account fields, dropped from ECR accounts (clouddriver does not read them).
HALYARD_ONLY = {"providerVersion", "requiredGroupMembership"}


# --- running the command -----------------------------------------------------------------------------------------


@dataclass
class Result:
    code: int
    out: Path
    stdout: str
    stderr: str

    @property
    def text(self) -> str:
        return self.out.read_text(encoding="utf-8")


@pytest.fixture
def adopt(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    def run(service: Path | None, config_map: Path | None, stack: str = "adopted", *extra: str) -> Result:
        out = tmp_path / f"Pulumi.{stack}.yaml"
        argv = ["--stack", stack, "--out", str(out), *extra]
        if service is not None:
            argv += ["--spinnaker-service", str(service)]
        if config_map is not None:
            argv += ["--config-map", str(config_map)]
        code = main(argv)
        captured = capsys.readouterr()
        return Result(code, out, captured.out, captured.err)

    return run


def fixture(setup: str, name: str) -> Path:
    return FIXTURES / setup / f"{name}.yaml"


def load(setup: str, name: str) -> dict[str, Any]:
    return yaml.safe_load(fixture(setup, name).read_text(encoding="utf-8"))


def with_access(result: Result, access: dict[str, Any]) -> dict[str, Any]:
    config = read_stack_config(result.out)
    config[f"{PROJECT}:access"] = access
    config.setdefault("aws:region", "us-east-1")
    return config


# --- what the fixtures say ---------------------------------------------------------------------------------------


@dataclass
class Setup:
    """A fixture read plainly: the clouddriver sidecars Halyard uses, the accounts, config.yaml, the volumes."""

    service: dict[str, Any]
    config_map: dict[str, Any]

    @property
    def ha(self) -> bool:
        environment = self.service["spec"]["spinnakerConfig"]["config"]["deploymentEnvironment"]
        return bool(environment.get("haServices", {}).get("clouddriver", {}).get("enabled"))

    @property
    def sidecars(self) -> list[dict[str, Any]]:
        sidecars = self.service["spec"]["spinnakerConfig"]["config"]["deploymentEnvironment"]["sidecars"]
        return sidecars["clouddriver"] if self.ha else sidecars.get("spin-clouddriver", sidecars.get("clouddriver"))

    @property
    def token_sidecar(self) -> dict[str, Any]:
        name = self.config_map["metadata"]["name"]
        (found,) = [
            s for s in self.sidecars if name in [m["configMapName"] for m in s.get("configMapVolumeMounts", [])]
        ]
        return found

    @property
    def accounts(self) -> list[dict[str, Any]]:
        config = self.service["spec"]["spinnakerConfig"]
        profile = config.get("profiles", {}).get("clouddriver", {}).get("dockerRegistry", {}).get("accounts", [])
        halyard = config["config"].get("providers", {}).get("dockerRegistry", {}).get("accounts", [])
        return [*profile, *[{**a, "_halyard": True} for a in halyard]]

    @property
    def config_yaml(self) -> dict[str, Any]:
        return yaml.safe_load(self.config_map["data"]["config.yaml"])

    @property
    def volumes(self) -> list[dict[str, Any]]:
        settings = self.service["spec"]["spinnakerConfig"].get("service-settings", {})
        return settings.get("clouddriver", {}).get("kubernetes", {}).get("volumes", [])


def feeder(config_yaml: dict[str, Any], password_file: Any) -> tuple[str, str] | None:
    """(registryId, region) of the config.yaml registry that writes this file."""
    found = [(r["registryId"], r["region"]) for r in config_yaml["registries"] if r["passwordFile"] == password_file]
    return found[0] if found else None


@dataclass
class Rendered:
    """What the program registered: the patch's clouddriver lists and the ConfigMap's config.yaml."""

    run: ProgramRun
    ha: bool

    @property
    def spec(self) -> dict[str, Any]:
        (patch,) = [r for r in self.run.resources if r.custom and r.type.endswith(":SpinnakerServicePatch")]
        return patch.inputs["spec"]["spinnakerConfig"]

    @property
    def accounts(self) -> dict[str, dict[str, Any]]:
        return {a["name"]: a for a in self.spec["profiles"]["clouddriver"]["dockerRegistry"]["accounts"]}

    @property
    def sidecars(self) -> list[dict[str, Any]]:
        key = "clouddriver" if self.ha else "spin-clouddriver"
        return self.spec["config"]["deploymentEnvironment"]["sidecars"][key]

    @property
    def config_yaml(self) -> dict[str, Any]:
        return yaml.safe_load(self.run.one("kubernetes:core/v1:ConfigMap").inputs["data"]["config.yaml"])


# --- the round trip ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def adopted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Result, Rendered]]:
    """Each setup adopted (by the command) and its stack file, with an access block, run through the program."""
    results = {}
    for setup in SETUPS:
        out = tmp_path_factory.mktemp(setup) / f"Pulumi.{setup}.yaml"
        argv = ["--spinnaker-service", str(fixture(setup, "spinnakerservice"))]
        argv += ["--config-map", str(fixture(setup, "configmap")), "--stack", setup, "--out", str(out)]
        assert main(argv) == 0, setup
        result = Result(0, out, "", "")
        run = run_program(with_access(result, ACCESS[setup]), setup)
        results[setup] = (result, Rendered(run, Setup(load(setup, "spinnakerservice"), load(setup, "configmap")).ha))
    return results


def setup_of(name: str) -> Setup:
    return Setup(load(name, "spinnakerservice"), load(name, "configmap"))


@pytest.mark.parametrize("name", SETUPS)
def test_every_account_comes_back_with_its_options_and_its_registry(
    name: str, adopted: dict[str, tuple[Result, Rendered]]
) -> None:
    setup, rendered = setup_of(name), adopted[name][1]
    accounts = rendered.accounts
    assert sorted(accounts) == sorted(a["name"] for a in setup.accounts)
    ecr = 0
    for account in setup.accounts:
        halyard = account.pop("_halyard", False)
        back = accounts[account["name"]]
        registry = feeder(setup.config_yaml, account.get("passwordFile"))
        if registry is None:
            assert back == account, "an extra account is kept verbatim"
            continue
        ecr += 1
        assert feeder(rendered.config_yaml, back["passwordFile"]) == registry, "fed by the same registry"
        dropped = {"passwordFile", *(HALYARD_ONLY if halyard else ())}
        assert {k: v for k, v in back.items() if k not in dropped} == {
            k: v for k, v in account.items() if k not in dropped
        }
    assert (ecr, len(setup.accounts) - ecr) == COUNTS[name][:2]


@pytest.mark.parametrize("name", SETUPS)
def test_sidecars_image_interval_and_volumes_come_back(name: str, adopted: dict[str, tuple[Result, Rendered]]) -> None:
    setup, rendered = setup_of(name), adopted[name][1]
    token = setup.token_sidecar
    (ours,) = [s for s in rendered.sidecars if s["name"] == "token-refresh"]
    assert ours["dockerImage"] == token["dockerImage"]
    assert rendered.config_yaml["interval"] == setup.config_yaml["interval"]
    extras = [s for s in setup.sidecars if s is not token]
    assert [s for s in rendered.sidecars if s is not ours] == extras, "extra sidecars verbatim, in order"
    assert len(extras) == COUNTS[name][2]
    volumes = [v for v in setup.volumes]
    assert len(volumes) == COUNTS[name][3]
    settings = rendered.spec.get("service-settings", {})
    for service in ("clouddriver", *(("clouddriver-caching", "clouddriver-rw") if setup.ha else ())):
        assert settings.get(service, {}).get("kubernetes", {}).get("volumes", []) == volumes


@pytest.mark.parametrize("name", SETUPS)
def test_the_spinnaker_service_is_the_one_read(name: str, adopted: dict[str, tuple[Result, Rendered]]) -> None:
    setup, (result, rendered) = setup_of(name), adopted[name]
    (patch,) = [r for r in rendered.run.resources if r.custom and r.type.endswith(":SpinnakerServicePatch")]
    assert patch.inputs["apiVersion"] == setup.service["apiVersion"]
    assert patch.inputs["metadata"]["name"] == setup.service["metadata"]["name"]
    assert patch.inputs["metadata"]["namespace"] == setup.service["metadata"]["namespace"]
    assert read_stack_config(result.out)[f"{PROJECT}:spinnaker"]["clouddriverHA"] is setup.ha


@pytest.mark.parametrize("name", SETUPS)
def test_the_file_starts_with_the_schema_line_and_is_valid_once_access_is_written(
    name: str, adopted: dict[str, tuple[Result, Rendered]]
) -> None:
    result = adopted[name][0]
    assert result.text.splitlines()[0] == SCHEMA_LINE
    jsonschema.validate({"config": with_access(result, ACCESS[name])}, stack_file_schema())


@pytest.mark.parametrize("name", SETUPS)
def test_access_is_the_only_thing_missing(name: str, adopted: dict[str, tuple[Result, Rendered]]) -> None:
    config = read_stack_config(adopted[name][0].out)
    assert f"{PROJECT}:access" not in config
    with pytest.raises(SettingsError) as raised:
        run_program({**config, "aws:region": config.get("aws:region", "us-east-1")}, name)
    assert [problem.config_key for problem in raised.value.found] == [f"{PROJECT}:access"]


@pytest.mark.parametrize("name", SETUPS)
def test_the_access_comment_names_every_mode_and_what_it_needs(
    name: str, adopted: dict[str, tuple[Result, Rendered]]
) -> None:
    text = adopted[name][0].text
    comments = "\n".join(line for line in text.splitlines() if line.lstrip().startswith("#"))
    for mode, rules in ACCESS_MODES.items():
        assert f"mode: {mode}\n" in comments
        for key, why in rules.needs.items():
            assert f"{key}: {why}" in comments
        for key in rules.needs_one_of:
            assert key in comments


def test_the_legacy_image_comment_says_node_role_only(adopted: dict[str, tuple[Result, Rendered]]) -> None:
    assert "legacy skuid image: it works only with mode node-role" in adopted["published"][0].text
    assert "legacy" not in adopted["ha-armory"][0].text


def test_the_service_account_clouddriver_runs_as_is_named(adopted: dict[str, tuple[Result, Rendered]]) -> None:
    assert "clouddriver runs as service account spin-clouddriver" in adopted["ha-armory"][0].text
    assert "clouddriver runs as service account" not in adopted["published"][0].text


@pytest.mark.parametrize("name", SETUPS)
def test_digits_are_never_left_for_a_yaml_1_2_reader_to_take_as_numbers(
    name: str, adopted: dict[str, tuple[Result, Rendered]]
) -> None:
    text = adopted[name][0].text
    assert re.findall(r"accountId: (.*)", text) and all(
        re.fullmatch(r'"[0-9]{12}"', value) for value in re.findall(r"accountId: (.*)", text)
    )
    for node in _scalars(yaml.compose(text)):
        if node.style is None and node.tag.endswith(":str"):
            assert not re.fullmatch(r"[-+]?[0-9_.]*[0-9][0-9_.]*([eE][-+]?[0-9]+)?|0[xob][0-9a-fA-F_]+", node.value)


def _scalars(node: yaml.Node) -> list[yaml.ScalarNode]:
    if isinstance(node, yaml.ScalarNode):
        return [node]
    children = node.value if isinstance(node, yaml.SequenceNode) else [n for pair in node.value for n in pair]
    return [scalar for child in children for scalar in _scalars(child)]


def test_text_that_looks_like_a_number_is_quoted(adopted: dict[str, tuple[Result, Rendered]]) -> None:
    text = adopted["ha-armory"][0].text
    assert 'TENANT_ID: "012345678901"' in text
    assert "port: 2020\n" in text, "numbers stay numbers"


def test_aws_region_is_written_only_when_the_registries_share_one(
    adopted: dict[str, tuple[Result, Rendered]],
) -> None:
    assert read_stack_config(adopted["published"][0].out)["aws:region"] == "us-west-2"
    ha = adopted["ha-armory"][0]
    assert "aws:region" not in read_stack_config(ha.out)
    assert "aws:region is not set: the registries are in us-east-1, eu-central-1" in ha.text


# --- the whole output, pinned -------------------------------------------------------------------------------------
# Update on purpose, after reading the diff: UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_adopt.py


@pytest.mark.parametrize("name", SETUPS)
def test_the_stack_file_and_the_steps_are_as_pinned(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = [
        "--spinnaker-service",
        str(fixture(name, "spinnakerservice")),
        "--config-map",
        str(fixture(name, "configmap")),
    ]
    assert main([*argv, "--stack", name, "--out", f"Pulumi.{name}.yaml"]) == 0
    for golden, text in (
        (FIXTURES / name / "expected-stack-file.yaml", (tmp_path / f"Pulumi.{name}.yaml").read_text()),
        (FIXTURES / name / "expected-stdout.txt", capsys.readouterr().out),
    ):
        if os.environ.get("UPDATE_GOLDEN"):
            golden.write_text(text, encoding="utf-8")
        assert text == golden.read_text(encoding="utf-8"), f"{golden} differs: UPDATE_GOLDEN=1 after reading the diff"
        assert max(len(line) for line in text.splitlines() if not line.lstrip().startswith("#")) <= 200


@pytest.mark.parametrize("name", SETUPS)
def test_the_steps_are_wrapped_at_116_columns_and_commands_never(name: str) -> None:
    lines = (FIXTURES / name / "expected-stdout.txt").read_text(encoding="utf-8").splitlines()
    for line, following in itertools.pairwise(lines):
        if line.startswith("      "):
            continue  # a command or a listing: whole, however long
        assert len(line) <= 116, line
        continues = following.startswith("    ") and not following.startswith("      ")
        if continues:
            assert len(line) + 1 + len(following.split()[0]) > 116, "broken before the width was reached"


# --- stdout: access and the migration steps ---------------------------------------------------------------------


def test_stdout_says_access_is_left_to_the_user(adopt: Callable[..., Result]) -> None:
    result = adopt(fixture("published", "spinnakerservice"), fixture("published", "configmap"))
    assert result.code == 0
    assert f"{PROJECT}:access is not in it" in result.stdout
    assert all(str(mode) in result.stdout for mode in ACCESS_MODES)


def test_two_managers_are_named_and_patch_force_is_set_for_the_first_up(adopt: Callable[..., Result]) -> None:
    result = adopt(fixture("two-managers", "spinnakerservice"), fixture("two-managers", "configmap"), "staging")
    steps = " ".join(result.stdout.split())
    assert "dockerRegistry.accounts: kubectl-edit (Update)" in steps
    assert "sidecars.spin-clouddriver: argocd-controller (Apply)" in steps
    assert "spinnaker-operator" not in steps, "the status subresource's manager owns no spec list"
    assert "field manager spinnaker-ecr-staging" in steps
    assert "adopt set spinnaker.patchForce: true" in steps
    assert "After the first successful pulumi up, remove spinnaker.patchForce" in steps
    assert "Remove these lists from what argocd-controller applies" in steps
    assert read_stack_config(result.out)[f"{PROJECT}:spinnaker"]["patchForce"] is True
    assert "patchForce: true  # first pulumi up only" in result.text


def test_every_other_manager_counts_wherever_it_is_listed(adopt: Callable[..., Result], tmp_path: Path) -> None:
    service = load("two-managers", "spinnakerservice")
    fields = service["metadata"]["managedFields"]
    fields.insert(0, fields.pop())  # the status subresource's manager first
    fields[2]["manager"] = "terraform"  # sorts after this stack's own manager
    result = adopt(write(tmp_path, "ss.yaml", service), fixture("two-managers", "configmap"), "staging")
    assert "dockerRegistry.accounts: terraform (Update)" in result.stdout
    assert "sidecars.spin-clouddriver: argocd-controller (Apply)" in result.stdout


def test_this_stacks_own_manager_does_not_count(adopt: Callable[..., Result], tmp_path: Path) -> None:
    service = load("two-managers", "spinnakerservice")
    for entry in service["metadata"]["managedFields"]:
        entry["manager"] = "spinnaker-ecr-staging"
    result = adopt(write(tmp_path, "ss.yaml", service), fixture("two-managers", "configmap"), "staging")
    assert "no other manager" in result.stdout and "no patchForce needed" in result.stdout
    assert "patchForce" not in read_stack_config(result.out)[f"{PROJECT}:spinnaker"]
    assert "remove spinnaker.patchForce" not in result.stdout


def test_without_managed_fields_patch_force_is_assumed(adopt: Callable[..., Result]) -> None:
    result = adopt(fixture("published", "spinnakerservice"), fixture("published", "configmap"))
    assert "--show-managed-fields" in result.stdout
    assert read_stack_config(result.out)[f"{PROJECT}:spinnaker"]["patchForce"] is True


def test_the_old_config_map_is_deleted_by_hand_after_the_rollout(adopt: Callable[..., Result]) -> None:
    result = adopt(fixture("published", "spinnakerservice"), fixture("published", "configmap"))
    assert "token-refresh-config-<hash>" in result.stdout
    assert "kubectl -n spinnaker rollout status deployment/spin-clouddriver\n" in result.stdout
    assert "kubectl -n spinnaker delete configmap token-refresh-config\n" in result.stdout
    assert "kubectl apply set-last-applied -f <manifest>" in result.stdout


def test_ha_waits_for_every_clouddriver_deployment(adopt: Callable[..., Result]) -> None:
    result = adopt(fixture("ha-armory", "spinnakerservice"), fixture("ha-armory", "configmap"))
    for deployment in ("caching", "rw", "ro", "ro-deck"):
        assert f"rollout status deployment/spin-clouddriver-{deployment}\n" in result.stdout
    assert "deployment/spin-clouddriver\n" not in result.stdout
    assert "kubectl -n spinnaker-prod delete configmap ecr-token-refresh" in result.stdout
    assert "passwordFile /etc/passwords/prod-use1.pass becomes /etc/passwords/ecr-prod-use1.pass" in result.stdout


def test_halyard_style_accounts_are_removed_from_providers_by_hand(adopt: Callable[..., Result]) -> None:
    result = adopt(fixture("halyard-style", "spinnakerservice"), fixture("halyard-style", "configmap"))
    steps = " ".join(result.stdout.split())
    assert "Halyard-style accounts (ecr-apse2, quay-public)" in steps
    assert (
        "kubectl -n spinnaker patch spinnakerservice spinnaker --type json -p "
        '\'[{"op": "remove", "path": "/spec/spinnakerConfig/config/providers/dockerRegistry"}]\''
    ) in result.stdout
    assert '"path": "/spec/spinnakerConfig/config/deploymentEnvironment/sidecars/clouddriver"' in result.stdout
    assert "providerVersion, requiredGroupMembership dropped" in steps
    assert "no patchForce needed" in steps, "kubectl-client-side-apply owns providers and sidecars.clouddriver only"


# --- bad input: a named error, exit 2, nothing written ----------------------------------------------------------


def write(directory: Path, name: str, document: Any) -> Path:
    path = directory / name
    path.write_text(document if isinstance(document, str) else yaml.safe_dump(document, sort_keys=False))
    return path


def refused(result: Result, *expected: str) -> None:
    assert result.code == 2, result.stderr
    assert not result.out.exists()
    assert result.stdout == ""
    message = " ".join(result.stderr.split())
    for text in expected:
        assert text in message, message


def mutated(
    tmp_path: Path,
    setup: str = "published",
    service: Callable[[dict[str, Any]], Any] | None = None,
    config_map: Callable[[dict[str, Any]], Any] | None = None,
) -> tuple[Path, Path]:
    documents = {"spinnakerservice": service, "configmap": config_map}
    paths = []
    for name, change in documents.items():
        document = copy.deepcopy(load(setup, name))
        if change is not None:
            change(document)
        paths.append(write(tmp_path, f"{name}.yaml", document))
    return paths[0], paths[1]


def accounts_of(service: dict[str, Any]) -> list[dict[str, Any]]:
    return service["spec"]["spinnakerConfig"]["profiles"]["clouddriver"]["dockerRegistry"]["accounts"]


def sidecars_of(service: dict[str, Any]) -> list[dict[str, Any]]:
    return service["spec"]["spinnakerConfig"]["config"]["deploymentEnvironment"]["sidecars"]["spin-clouddriver"]


def config_yaml(text: str) -> Callable[[dict[str, Any]], None]:
    return lambda config_map: config_map["data"].update({"config.yaml": text})


def test_not_a_spinnaker_service(adopt: Callable[..., Result], tmp_path: Path) -> None:
    service, config_map = mutated(tmp_path, service=lambda s: s.update(kind="Deployment", apiVersion="apps/v1"))
    refused(
        adopt(service, config_map),
        f"{service}: kind: 'Deployment' is not SpinnakerService",
        "apiVersion: 'apps/v1' is not one of: spinnaker.io/v1alpha2, spinnaker.armory.io/v1alpha2",
    )


@pytest.mark.parametrize("kind", ["StatefulSet", "Deployment", None])
def test_another_kind_in_the_spinnaker_group(adopt: Callable[..., Result], tmp_path: Path, kind: Any) -> None:
    service, config_map = mutated(tmp_path, service=lambda s: s.update(kind=kind))
    refused(adopt(service, config_map), f"{service}: kind: ")


def test_a_spinnaker_service_of_another_version(adopt: Callable[..., Result], tmp_path: Path) -> None:
    service, config_map = mutated(tmp_path, service=lambda s: s.update(apiVersion="spinnaker.io/v1alpha1"))
    refused(adopt(service, config_map), f"{service}: apiVersion: 'spinnaker.io/v1alpha1' is not one of")


def test_a_config_map_given_as_the_spinnaker_service(adopt: Callable[..., Result]) -> None:
    path = fixture("published", "configmap")
    refused(adopt(path, path), f"{path}: kind: 'ConfigMap' is not SpinnakerService")


def test_a_config_map_without_config_yaml(adopt: Callable[..., Result], tmp_path: Path) -> None:
    def rename(config_map: dict[str, Any]) -> None:
        config_map["data"] = {"config.yml": config_map["data"]["config.yaml"]}

    service, config_map = mutated(tmp_path, config_map=rename)
    refused(adopt(service, config_map), f'{config_map}: data["config.yaml"]: is required', "keys here: config.yml")


def test_an_account_reading_a_password_file_no_registry_writes(adopt: Callable[..., Result], tmp_path: Path) -> None:
    def second_account(service: dict[str, Any]) -> None:
        accounts_of(service).append(
            {**accounts_of(service)[0], "name": "orphan", "passwordFile": "/etc/passwords/o.pass"}
        )

    service, config_map = mutated(tmp_path, service=second_account)
    refused(
        adopt(service, config_map),
        f"{service}: spec.spinnakerConfig.profiles.clouddriver.dockerRegistry.accounts[1].passwordFile: "
        "'/etc/passwords/o.pass' is under the token-refresh sidecar's mountPath /etc/passwords, but no registry",
    )


@pytest.mark.parametrize(
    "address", ["https://123456789012.dkr.ecr.eu-west-1.amazonaws.com", "https://quay.io", "http://0.0.0.0"]
)
def test_an_account_at_another_address_than_its_registry(
    adopt: Callable[..., Result], tmp_path: Path, address: str
) -> None:
    service, config_map = mutated(tmp_path, service=lambda s: accounts_of(s)[0].update(address=address))
    refused(
        adopt(service, config_map),
        f"accounts[0].address: '{address}' is not https://123456789012.dkr.ecr.us-west-2.amazonaws.com",
        "that registry does not feed this account",
    )


def test_an_address_without_scheme_or_with_a_trailing_slash_is_the_same_address(
    adopt: Callable[..., Result], tmp_path: Path
) -> None:
    for address in (
        "123456789012.dkr.ecr.us-west-2.amazonaws.com",
        "https://123456789012.dkr.ecr.us-west-2.amazonaws.com/",
    ):
        service, config_map = mutated(tmp_path, service=lambda s, a=address: accounts_of(s)[0].update(address=a))
        result = adopt(service, config_map, "adopted", "--force")
        assert result.code == 0, result.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "interval: 30m\nregistries:\n- registryId: 123456789012\n  region: us-west-2\n"
            "  passwordFile: /etc/passwords/my-ecr-registry.pass\n",
            "data[\"config.yaml\"].registries[0].registryId: '123456789012' is an unquoted number",
        ),
        (
            "interval: 30m\nregistries:\n- registryId: 012345678901\n  region: us-west-2\n"
            "  passwordFile: /etc/passwords/my-ecr-registry.pass\n",
            "data[\"config.yaml\"].registries[0].registryId: '012345678901' is an unquoted number",
        ),
        (
            'interval: 1d\nregistries:\n- registryId: "123456789012"\n  region: us-west-2\n'
            "  passwordFile: /etc/passwords/my-ecr-registry.pass\n",
            "interval: '1d' is not",
        ),
        (
            'interval: 30m\nregistries:\n- registryId: "123456789012"\n'
            "  passwordFile: /etc/passwords/my-ecr-registry.pass\n",
            "registries[0].region: missing",
        ),
        (
            'registries:\n- registryId: "123456789012"\n  region: us-west-2\n  passwordFile: /etc/passwords/x.pass\n',
            "interval: missing",
        ),
        (
            'interval: 30m\nregistries:\n- registryId: "123456789012"\n  region: us-wset-2\n'
            "  passwordFile: /etc/passwords/my-ecr-registry.pass\n",
            "registries[0].region: 'us-wset-2' is not an AWS region",
        ),
        ("interval: 30m\nregistries: [\n", "is not valid YAML"),
    ],
)
def test_a_config_yaml_the_legacy_sidecar_would_reject(
    adopt: Callable[..., Result], tmp_path: Path, text: str, expected: str
) -> None:
    service, config_map = mutated(tmp_path, config_map=config_yaml(text))
    refused(adopt(service, config_map), f"{config_map}: ", expected)


def test_only_the_unquoted_id_is_named_once(adopt: Callable[..., Result], tmp_path: Path) -> None:
    text = "interval: 30m\nregistries:\n- registryId: 012345678901\n  region: us-west-2\n  passwordFile: /etc/p/a\n"
    service, config_map = mutated(tmp_path, config_map=config_yaml(text))
    result = adopt(service, config_map)
    assert result.stderr.count("registryId") == 1


def test_a_registry_no_account_reads(adopt: Callable[..., Result], tmp_path: Path) -> None:
    text = (
        'interval: 30m\nregistries:\n- registryId: "123456789012"\n  region: us-west-2\n'
        "  passwordFile: /etc/passwords/my-ecr-registry.pass\n"
        '- registryId: "210987654321"\n  region: us-east-1\n  passwordFile: /etc/passwords/unread.pass\n'
    )
    service, config_map = mutated(tmp_path, config_map=config_yaml(text))
    refused(
        adopt(service, config_map),
        f"{config_map}: data[\"config.yaml\"].registries[1].passwordFile: '/etc/passwords/unread.pass' is written by "
        "the sidecar but no docker account reads it",
    )


def test_two_sidecars_named_token_refresh(adopt: Callable[..., Result], tmp_path: Path) -> None:
    service, config_map = mutated(tmp_path, service=lambda s: sidecars_of(s).append(dict(sidecars_of(s)[0])))
    refused(
        adopt(service, config_map),
        f"{service}: spec.spinnakerConfig.config.deploymentEnvironment.sidecars.spin-clouddriver[1].name: "
        "'token-refresh' is a second sidecar of that name (the first is "
        "spec.spinnakerConfig.config.deploymentEnvironment.sidecars.spin-clouddriver[0])",
    )


def test_sidecars_named_otherwise_are_not_token_refresh(adopt: Callable[..., Result], tmp_path: Path) -> None:
    def others(service: dict[str, Any]) -> None:
        sidecars_of(service).insert(0, {"name": "vault-agent", "dockerImage": "hashicorp/vault:1.15"})
        sidecars_of(service)[1]["name"] = "ecr-refresh"

    service, config_map = mutated(tmp_path, service=others)
    result = adopt(service, config_map)
    assert result.code == 0, result.stderr
    assert read_stack_config(result.out)[f"{PROJECT}:spinnaker"]["extraSidecars"] == [
        {"name": "vault-agent", "dockerImage": "hashicorp/vault:1.15"}
    ]


def test_two_sidecars_mount_the_config_map(adopt: Callable[..., Result], tmp_path: Path) -> None:
    def copy_of_it(service: dict[str, Any]) -> None:
        sidecars_of(service).append({**sidecars_of(service)[0], "name": "token-refresh-2"})

    service, config_map = mutated(tmp_path, service=copy_of_it)
    refused(
        adopt(service, config_map),
        "is not one sidecar that mounts ConfigMap 'token-refresh-config'",
        "mounted by spec.spinnakerConfig.config.deploymentEnvironment.sidecars.spin-clouddriver[0], "
        "spec.spinnakerConfig.config.deploymentEnvironment.sidecars.spin-clouddriver[1]",
    )


def test_no_sidecars_at_all(adopt: Callable[..., Result], tmp_path: Path) -> None:
    def none(service: dict[str, Any]) -> None:
        del service["spec"]["spinnakerConfig"]["config"]["deploymentEnvironment"]

    service, config_map = mutated(tmp_path, service=none)
    refused(
        adopt(service, config_map),
        f"{service}: spec.spinnakerConfig.config.deploymentEnvironment.sidecars.spin-clouddriver: has no token-refresh "
        "sidecar: adopt moves the published procedure's setup",
    )


def test_no_sidecar_mounts_the_config_map(adopt: Callable[..., Result], tmp_path: Path) -> None:
    service, config_map = mutated(tmp_path, config_map=lambda c: c["metadata"].update(name="other-config"))
    refused(
        adopt(service, config_map),
        'sidecars.spin-clouddriver: ["token-refresh"] is not one sidecar that mounts',
        "mounted by none of them",
    )


def test_a_config_map_of_another_namespace(adopt: Callable[..., Result], tmp_path: Path) -> None:
    service, config_map = mutated(tmp_path, config_map=lambda c: c["metadata"].update(namespace="default"))
    refused(adopt(service, config_map), f"{config_map}: metadata.namespace: 'default' is not the SpinnakerService's")


def test_ha_reads_only_the_clouddriver_key(adopt: Callable[..., Result], tmp_path: Path) -> None:
    def ha(service: dict[str, Any]) -> None:
        service["spec"]["spinnakerConfig"]["config"]["deploymentEnvironment"]["haServices"] = {
            "clouddriver": {"enabled": True}
        }

    service, config_map = mutated(tmp_path, service=ha)
    refused(
        adopt(service, config_map),
        "sidecars.clouddriver: has no token-refresh sidecar (sidecars.spin-clouddriver is not read in HA mode)",
    )


def test_without_the_config_map_adopt_names_the_one_to_fetch(adopt: Callable[..., Result]) -> None:
    refused(
        adopt(fixture("ha-armory", "spinnakerservice"), None),
        "--config-map: is required",
        "(kubectl get configmap ecr-token-refresh -n spinnaker-prod -o yaml > ecr-token-refresh.yaml)",
    )


def test_without_the_config_map_every_mounted_one_is_named(adopt: Callable[..., Result], tmp_path: Path) -> None:
    def two_mounts(service: dict[str, Any]) -> None:
        sidecars_of(service)[0]["configMapVolumeMounts"].append({"configMapName": "extra-ca", "mountPath": "/ca"})
        mounts = [{"configMapName": "fluent-bit", "mountPath": "/fluent-bit/etc"}]
        sidecars_of(service).append(
            {"name": "log-shipper", "dockerImage": "fluent-bit", "configMapVolumeMounts": mounts}
        )

    service, _ = mutated(tmp_path, service=two_mounts)
    refused(
        adopt(service, None),
        "(kubectl get configmap token-refresh-config -n spinnaker -o yaml > token-refresh-config.yaml; "
        "kubectl get configmap extra-ca -n spinnaker -o yaml > extra-ca.yaml)",
    )


def test_without_the_config_map_a_sidecar_named_otherwise_is_read(adopt: Callable[..., Result], tmp_path: Path) -> None:
    def rename(service: dict[str, Any]) -> None:
        environment = service["spec"]["spinnakerConfig"]["config"]["deploymentEnvironment"]
        environment["sidecars"]["clouddriver"][0]["name"] = "ecr-refresh"

    service, _ = mutated(tmp_path, "ha-armory", service=rename)
    refused(adopt(service, None), "(kubectl get configmap ecr-token-refresh -n spinnaker-prod -o yaml > ecr-token-")


def test_without_the_config_map_or_a_mount_the_usual_name_is_suggested(
    adopt: Callable[..., Result], tmp_path: Path
) -> None:
    service, _ = mutated(tmp_path, service=lambda s: sidecars_of(s)[0].pop("configMapVolumeMounts"))
    refused(adopt(service, None), "(kubectl get configmap token-refresh-config -n spinnaker -o yaml > token-")


@pytest.mark.parametrize("text", ["spec: [\n", "- a\n- b\n", ""])
def test_unreadable_yaml(adopt: Callable[..., Result], tmp_path: Path, text: str) -> None:
    service = write(tmp_path, "ss.yaml", text)
    refused(adopt(service, fixture("published", "configmap")), f"{service}: ")


def test_a_missing_file(adopt: Callable[..., Result], tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    refused(adopt(missing, fixture("published", "configmap")), f"{missing}: cannot be read: No such file or directory")


def test_a_file_that_is_not_utf_8(adopt: Callable[..., Result], tmp_path: Path) -> None:
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("kind: Zürich\n".encode("latin-1"))
    refused(adopt(latin, fixture("published", "configmap")), f"{latin}: cannot be read: 'utf-8' codec can't decode")


def test_a_list_of_one_object_is_that_object_and_of_two_is_refused(
    adopt: Callable[..., Result], tmp_path: Path
) -> None:
    one = load("published", "spinnakerservice")
    listed = write(tmp_path, "list.yaml", {"apiVersion": "v1", "kind": "List", "items": [one]})
    assert adopt(listed, fixture("published", "configmap")).code == 0
    two = write(tmp_path, "two.yaml", {"apiVersion": "v1", "kind": "List", "items": [one, one]})
    refused(
        adopt(two, fixture("published", "configmap"), "other"), 'items: ["spinnaker", "spinnaker"] is not one object'
    )


def test_an_adopted_file_the_program_would_refuse_is_not_written(adopt: Callable[..., Result], tmp_path: Path) -> None:
    def rename(service: dict[str, Any]) -> None:
        accounts_of(service)[0].update(name="My_ECR", cacheIntervalSeconds=0)

    service, config_map = mutated(tmp_path, service=rename)
    refused(
        adopt(service, config_map),
        "would be refused by the program: spinnaker-ecr:registries[0].name: 'My_ECR' is not a clouddriver account name",
        "registries[0].cacheIntervalSeconds: 0 is not a positive integer",
        f"(from {service}: spec.spinnakerConfig.profiles.clouddriver.dockerRegistry.accounts[0]",
    )


def test_an_extra_sidecar_named_token_refresh_is_refused_with_its_source(
    adopt: Callable[..., Result], tmp_path: Path
) -> None:
    def second(service: dict[str, Any]) -> None:
        sidecars_of(service)[0]["name"] = "ecr-refresh"
        sidecars_of(service).append({"name": "token-refresh", "dockerImage": "busybox"})

    service, config_map = mutated(tmp_path, service=second)
    refused(
        adopt(service, config_map),
        "spinnaker-ecr:spinnaker.extraSidecars[0].name: 'token-refresh' is the name of this program's own sidecar",
        f"(from {service}: spec.spinnakerConfig.config.deploymentEnvironment.sidecars.spin-clouddriver[1])",
    )


def test_an_existing_file_is_kept_unless_forced(adopt: Callable[..., Result], tmp_path: Path) -> None:
    service, config_map = fixture("published", "spinnakerservice"), fixture("published", "configmap")
    existing = tmp_path / "Pulumi.adopted.yaml"
    existing.write_text("mine\n")
    result = adopt(service, config_map)
    assert result.code == 2 and "exists: give --force" in result.stderr
    assert existing.read_text() == "mine\n"
    assert adopt(service, config_map, "adopted", "--force").code == 0
    assert existing.read_text().startswith(SCHEMA_LINE)


@pytest.mark.parametrize("username", ["aws", "ADMIN"])
def test_an_ecr_account_with_another_username_is_refused(
    adopt: Callable[..., Result], tmp_path: Path, username: str
) -> None:
    service, config_map = mutated(tmp_path, service=lambda s: accounts_of(s)[0].update(username=username))
    refused(adopt(service, config_map), f"spinnaker-ecr:registries[0].username: '{username}' is set by this program")


def test_only_the_username_aws_is_dropped(adopt: Callable[..., Result], tmp_path: Path) -> None:
    options = {"environment": "AWS", "accountType": "AWS", "email": "AWS"}
    service, config_map = mutated(tmp_path, service=lambda s: accounts_of(s)[0].update(options))
    result = adopt(service, config_map)
    (registry,) = read_stack_config(result.out)[f"{PROJECT}:registries"]
    assert {key: registry.get(key) for key in options} == options and "username" not in registry


def test_an_unknown_account_key_valued_aws_is_kept_and_refused(adopt: Callable[..., Result], tmp_path: Path) -> None:
    service, config_map = mutated(tmp_path, service=lambda s: accounts_of(s)[0].update(zone="AWS"))
    refused(adopt(service, config_map), "spinnaker-ecr:registries[0].zone: 'AWS' is not a known key")


def test_a_halyard_group_membership_that_is_not_a_list_is_kept_and_refused(
    adopt: Callable[..., Result], tmp_path: Path
) -> None:
    def membership(service: dict[str, Any]) -> None:
        account = service["spec"]["spinnakerConfig"]["config"]["providers"]["dockerRegistry"]["accounts"][0]
        account["requiredGroupMembership"] = "team-a"

    service, config_map = mutated(tmp_path, "halyard-style", service=membership)
    refused(adopt(service, config_map), "registries[0].requiredGroupMembership: 'team-a' is not a known key")


def test_a_password_file_moving_to_the_programs_path_is_said(adopt: Callable[..., Result], tmp_path: Path) -> None:
    service, config_map = mutated(
        tmp_path,
        service=lambda s: accounts_of(s)[0].update(passwordFile="/etc/passwords/a.pass"),
        config_map=config_yaml(
            'interval: 30m\nregistries:\n- registryId: "123456789012"\n  region: us-west-2\n'
            "  passwordFile: /etc/passwords/a.pass\n"
        ),
    )
    result = adopt(service, config_map)
    assert "my-ecr-registry: passwordFile /etc/passwords/a.pass becomes /etc/passwords/my-ecr-registry.pass" in (
        result.stdout
    )


def test_only_halyards_own_fields_present_are_dropped(adopt: Callable[..., Result], tmp_path: Path) -> None:
    def without_membership(service: dict[str, Any]) -> None:
        account = service["spec"]["spinnakerConfig"]["config"]["providers"]["dockerRegistry"]["accounts"][0]
        del account["requiredGroupMembership"]

    service, config_map = mutated(tmp_path, "halyard-style", service=without_membership)
    result = adopt(service, config_map)
    assert result.code == 0, result.stderr
    assert "accounts[0]: providerVersion dropped" in result.stdout


def test_a_halyard_group_membership_that_says_something_is_kept_and_refused(
    adopt: Callable[..., Result], tmp_path: Path
) -> None:
    def membership(service: dict[str, Any]) -> None:
        account = service["spec"]["spinnakerConfig"]["config"]["providers"]["dockerRegistry"]["accounts"][0]
        account["requiredGroupMembership"] = ["team-a"]

    service, config_map = mutated(tmp_path, "halyard-style", service=membership)
    refused(adopt(service, config_map), 'registries[0].requiredGroupMembership: ["team-a"] is not a known key')


def test_a_file_that_cannot_be_written_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "missing" / "Pulumi.x.yaml"
    argv = ["--spinnaker-service", str(fixture("published", "spinnakerservice"))]
    argv += ["--config-map", str(fixture("published", "configmap")), "--stack", "x", "--out", str(out)]
    assert main(argv) == 2
    assert f"adopt: nothing written to {out}: No such file or directory" in capsys.readouterr().err
    assert not out.parent.exists()


def test_text_beyond_ascii_stays_readable(adopt: Callable[..., Result], tmp_path: Path) -> None:
    def zurich(service: dict[str, Any]) -> None:
        sidecars = service["spec"]["spinnakerConfig"]["config"]["deploymentEnvironment"]["sidecars"]["clouddriver"]
        sidecars[1]["env"]["SITE"] = "Zürich"

    service, config_map = mutated(tmp_path, "ha-armory", service=zurich)
    assert "SITE: Zürich\n" in adopt(service, config_map).text


def test_an_object_with_a_stray_items_key_is_still_that_object(adopt: Callable[..., Result], tmp_path: Path) -> None:
    service, config_map = mutated(tmp_path, service=lambda s: s.update(items=[{"kind": "Other"}]))
    assert adopt(service, config_map).code == 0
    holder = {"apiVersion": "v1", "kind": "ConfigMap", "items": [load("published", "spinnakerservice")]}
    refused(
        adopt(write(tmp_path, "holder.yaml", holder), config_map, "other"), "kind: 'ConfigMap' is not SpinnakerService"
    )


def test_an_empty_list_is_refused(adopt: Callable[..., Result], tmp_path: Path) -> None:
    empty = write(tmp_path, "empty.yaml", {"apiVersion": "v1", "kind": "List", "items": []})
    refused(adopt(empty, fixture("published", "configmap")), f"{empty}: items: [] is not one object")


@pytest.mark.parametrize("name", ["", None])
def test_a_sidecar_or_an_account_without_a_name(adopt: Callable[..., Result], tmp_path: Path, name: Any) -> None:
    def nameless(service: dict[str, Any]) -> None:
        sidecars_of(service).append({"name": name, "dockerImage": "busybox"})
        accounts_of(service).append({"name": name, "address": "https://quay.io"})

    service, config_map = mutated(tmp_path, service=nameless)
    refused(
        adopt(service, config_map),
        'sidecars.spin-clouddriver[1]: {"name": ' + ('""' if name == "" else "null"),
        "is not a sidecar with a name",
        'dockerRegistry.accounts[1]: {"name": ',
        "is not a docker account with a name",
    )


def test_profile_accounts_are_not_halyard_style(adopt: Callable[..., Result]) -> None:
    for setup in ("published", "two-managers", "ha-armory"):
        result = adopt(fixture(setup, "spinnakerservice"), fixture(setup, "configmap"), setup)
        assert result.code == 0 and "Halyard" not in result.stdout


@pytest.mark.parametrize("missing", ["--stack", "--spinnaker-service"])
def test_stack_and_spinnaker_service_are_required(missing: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = {"--stack": "x", "--spinnaker-service": str(fixture("published", "spinnakerservice"))}
    del argv[missing]
    with pytest.raises(SystemExit) as exited:
        main([item for pair in argv.items() for item in pair])
    assert exited.value.code == 2 and f"the following arguments are required: {missing}" in capsys.readouterr().err


@pytest.mark.parametrize("out", ["/0/Pulumi.x.yaml", "/~/Pulumi.x.yaml"])
def test_a_stack_file_outside_stacks_is_never_taken_for_it(out: str) -> None:
    service = read_spinnaker_service(fixture("published", "spinnakerservice"))
    adoption = join(service, read_config_map(fixture("published", "configmap")))
    steps = migration_steps(adoption, "x", out, None)
    assert f".venv/bin/python -m tools.render --config-file {out} --stack x\n" in steps


def test_the_stack_file_in_stacks_is_rendered_by_its_stack_name() -> None:
    service = read_spinnaker_service(fixture("published", "spinnakerservice"))
    adoption = join(service, read_config_map(fixture("published", "configmap")))
    steps = migration_steps(adoption, "x", str(stack_file("x")), None)
    assert ".venv/bin/python -m tools.render --stack x\n" in steps and "there first" not in steps


def test_the_command_runs_as_a_module_from_the_repository_root(tmp_path: Path) -> None:
    """Outside pytest's pythonpath: the sidecar's config parser must still be found."""
    out = tmp_path / "Pulumi.x.yaml"
    argv = ["--spinnaker-service", str(fixture("published", "spinnakerservice"))]
    argv += ["--config-map", str(fixture("published", "configmap")), "--stack", "x", "--out", str(out)]
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-m", "tools.adopt", *argv], cwd=ROOT, env=environment, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Wrote {out}.") and out.read_text().startswith(SCHEMA_LINE)


def test_a_failed_write_leaves_no_temporary_file(adopt: Callable[..., Result], tmp_path: Path) -> None:
    taken = tmp_path / "Pulumi.adopted.yaml"
    taken.mkdir()  # os.replace cannot put a file over a directory
    result = adopt(fixture("published", "spinnakerservice"), fixture("published", "configmap"), "adopted", "--force")
    assert result.code == 2 and "nothing written" in result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["Pulumi.adopted.yaml"]


def test_a_long_path_is_never_broken(adopt: Callable[..., Result], tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    out = deep / "Pulumi.x.yaml"
    argv = ["--spinnaker-service", str(fixture("published", "spinnakerservice"))]
    result = adopt(None, fixture("published", "configmap"), "x", *argv, "--out", str(out))
    assert len(str(out)) > 116 and result.code == 0
    assert f"\n    {out}:" in result.stdout, "a path wider than a line gets a line of its own, whole"


def test_the_default_out_is_the_stack_file_in_stacks(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(FIXTURES.parent.parent.parent)
    argv = ["--spinnaker-service", str(fixture("published", "spinnakerservice")), "--stack", "dev"]
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith(
        "adopt: nothing written to stacks/Pulumi.dev.yaml:\n  - stacks/Pulumi.dev"
    )


def test_a_file_outside_stacks_is_rendered_by_its_path(adopt: Callable[..., Result]) -> None:
    result = adopt(fixture("published", "spinnakerservice"), fixture("published", "configmap"), "review")
    assert f".venv/bin/python -m tools.render --config-file {result.out} --stack review\n" in result.stdout
    assert f"move {result.out} there first" in " ".join(result.stdout.split())


def test_a_bad_stack_name(adopt: Callable[..., Result]) -> None:
    result = adopt(fixture("published", "spinnakerservice"), fixture("published", "configmap"), "a/b")
    assert result.code == 2 and "--stack: 'a/b' is not a stack name" in result.stderr


def test_a_stack_name_pulumi_refuses_is_refused_here_too(adopt: Callable[..., Result]) -> None:
    """Pulumi allows at most 100 characters: the workflows (tools/environments.py) would refuse a longer one."""
    name = "s" * 101
    result = adopt(fixture("published", "spinnakerservice"), fixture("published", "configmap"), name)
    assert result.code == 2 and f"--stack: '{name}' is not a stack name (letters, digits" in result.stderr
    assert not result.out.exists()
    assert adopt(fixture("published", "spinnakerservice"), fixture("published", "configmap"), "s" * 100).code == 0


def test_the_stack_file_gets_the_mode_of_any_new_file(adopt: Callable[..., Result]) -> None:
    """Not mkstemp's 0600: the umask decides, as for a file an editor writes."""
    previous = os.umask(0o022)
    try:
        result = adopt(fixture("published", "spinnakerservice"), fixture("published", "configmap"), "modes")
    finally:
        os.umask(previous)
    assert result.code == 0
    assert stat.S_IMODE(result.out.stat().st_mode) == 0o644
