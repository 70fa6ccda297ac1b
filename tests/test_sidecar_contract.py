"""Contract: the config.yaml the program puts in the ConfigMap is one our sidecar accepts, for every stack."""

from datetime import timedelta

import pytest
import yaml
from ecr_token_refresh.config import parse

from components.duration import parse_go_duration
from tools.offline import ProgramRun
from tools.stack_files import stack_names


@pytest.mark.parametrize("stack", stack_names())
def test_sidecar_loads_the_config_map_of_each_stack(stack: str, stack_runs: dict[str, ProgramRun]) -> None:
    run = stack_runs[stack]
    text = run.one("kubernetes:core/v1:ConfigMap").inputs["data"]["config.yaml"]
    loaded = parse(text)
    document = yaml.safe_load(text)
    assert loaded.interval == parse_go_duration(document["interval"]) > timedelta(0)
    assert [(r.registry_id, r.region, r.password_file) for r in loaded.registries] == [
        (r["registryId"], r["region"], r["passwordFile"]) for r in document["registries"]
    ]
