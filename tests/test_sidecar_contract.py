"""Contract: what the program puts in the pod is what the sidecar expects, for every stack. The sidecar package owns
these facts (ecr_token_refresh.contract); the program imports them, and these tests fail when the two sides drift."""

import posixpath

import pytest
import yaml
from ecr_token_refresh import contract
from ecr_token_refresh.config import parse
from ecr_token_refresh.duration import parse_go_duration
from ecr_token_refresh.main import _arguments

from tools.offline import ProgramRun
from tools.stack_files import stack_names


def sidecar_block(run: ProgramRun) -> dict:
    (patch,) = [r for r in run.resources if r.type.endswith(":SpinnakerServicePatch") and r.custom]
    sidecars = patch.inputs["spec"]["spinnakerConfig"]["config"]["deploymentEnvironment"]["sidecars"]
    (ours,) = [s for entries in sidecars.values() for s in entries if s["name"] == contract.CONTAINER_NAME]
    return ours


@pytest.mark.parametrize("stack", stack_names())
def test_sidecar_loads_the_config_map_of_each_stack(stack: str, stack_runs: dict[str, ProgramRun]) -> None:
    run = stack_runs[stack]
    text = run.one("kubernetes:core/v1:ConfigMap").inputs["data"][contract.CONFIG_KEY]
    loaded = parse(text)
    document = yaml.safe_load(text)
    assert loaded.interval.total_seconds() * 1e9 == parse_go_duration(document["interval"]) > 0
    assert [(r.registry_id, r.region, r.password_file) for r in loaded.registries] == [
        (r["registryId"], r["region"], r["passwordFile"]) for r in document["registries"]
    ]


@pytest.mark.parametrize("stack", stack_names())
def test_the_config_map_lands_where_the_daemon_reads_by_default(stack: str, stack_runs: dict[str, ProgramRun]) -> None:
    run = stack_runs[stack]
    (mount,) = sidecar_block(run)["configMapVolumeMounts"]
    (key,) = run.one("kubernetes:core/v1:ConfigMap").inputs["data"]
    # The daemon's own default --config, as its argument parser gives it.
    assert posixpath.join(mount["mountPath"], key) == _arguments([]).config


@pytest.mark.parametrize("stack", stack_names())
def test_every_password_file_is_in_the_volume_clouddriver_shares(stack: str, stack_runs: dict[str, ProgramRun]) -> None:
    run = stack_runs[stack]
    shared = sidecar_block(run)["mountPath"]
    registries = parse(run.one("kubernetes:core/v1:ConfigMap").inputs["data"][contract.CONFIG_KEY]).registries
    assert registries and all(posixpath.dirname(r.password_file) == shared for r in registries)


def test_the_token_lifetime_in_nanoseconds_is_twelve_hours_as_a_go_duration() -> None:
    """The program's and the pack's interval bounds both take it from the contract."""
    assert parse_go_duration("12h") == contract.TOKEN_LIFETIME_NANOSECONDS
    assert isinstance(contract.TOKEN_LIFETIME_NANOSECONDS, int)
