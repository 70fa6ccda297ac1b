"""tools/environments.py: the stacks in stacks/, in deploy order, each checked as the program checks it.

What is expected comes from the stack files themselves; edited copies go to a temporary directory."""

import copy
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.model import Deploy
from tools import environments as tool
from tools.environments import PLACEHOLDER_DIGEST, EnvironmentsError, environments
from tools.stack_files import STACKS_DIR, stack_config, stack_names

STACKS = stack_names()
DEPLOY = "spinnaker-ecr:deploy"
TOKEN_REFRESH = "spinnaker-ecr:tokenRefresh"


def deploy_of(stack: str) -> Deploy:
    """What the stack file says, with the declared defaults where it says nothing."""
    return Deploy.model_validate(stack_config(stack).get(DEPLOY, {}))


def template() -> str:
    """A stack to copy: the first whose token refresh is a sidecar image."""
    return next(s for s in STACKS if "image" in stack_config(s).get(TOKEN_REFRESH, {}))


def write_stack(directory: Path, name: str, config: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"Pulumi.{name}.yaml"
    path.write_text(yaml.safe_dump({"config": config}, sort_keys=False))
    return path


def config_with(stack: str, **deploy: Any) -> dict[str, Any]:
    config = copy.deepcopy(stack_config(stack))
    config[DEPLOY] = deploy
    return config


def refused(directory: Path, **options: Any) -> str:
    with pytest.raises(EnvironmentsError) as error:
        environments(directory, **options)
    return str(error.value)


def test_every_stack_file_is_listed_once_in_deploy_order() -> None:
    listed = environments()
    assert sorted(e.stack for e in listed) == STACKS
    expected = sorted(STACKS, key=lambda s: (deploy_of(s).order, s))
    assert [e.stack for e in listed] == expected
    for environment in listed:
        deploy = deploy_of(environment.stack)
        assert (environment.order, environment.production) == (deploy.order, deploy.production)
        assert environment.region == stack_config(environment.stack)["aws:region"]
    assert [e.after for e in listed] == ["", *expected[:-1]]


def test_json_is_one_line_the_workflows_read_as_a_matrix(capsys: pytest.CaptureFixture[str]) -> None:
    assert tool.main(["--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert json.loads(out) == [asdict(e) for e in environments()]
    assert all(set(entry) == {"stack", "order", "production", "region", "after"} for entry in json.loads(out))


def test_the_table_lists_each_stack_on_its_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert tool.main([]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["stack", "order", "production", "region", "after"]
    assert [line.split()[0] for line in lines[1:]] == [e.stack for e in environments()]


def test_a_stack_without_deploy_comes_last_and_is_not_production(tmp_path: Path) -> None:
    config = copy.deepcopy(stack_config(template()))
    config.pop(DEPLOY, None)
    write_stack(tmp_path, "plain", config)
    write_stack(tmp_path, "first", config_with(template(), order=1))
    listed = environments(tmp_path)
    assert [(e.stack, e.order, e.production) for e in listed] == [
        ("first", 1, False),
        ("plain", Deploy().order, False),
    ]


def test_equal_orders_go_by_stack_name(tmp_path: Path) -> None:
    for name in ("b", "c", "a"):
        write_stack(tmp_path, name, config_with(template(), order=5))
    assert [(e.stack, e.after) for e in environments(tmp_path)] == [("a", ""), ("b", "a"), ("c", "b")]


@pytest.mark.parametrize(
    "deploy, named",
    [
        ({"order": 0}, "spinnaker-ecr:deploy.order: 0 is not a positive integer"),
        ({"order": "10"}, "spinnaker-ecr:deploy.order: '10' is not a positive integer"),
        ({"production": "yes"}, "spinnaker-ecr:deploy.production: 'yes' is not true or false"),
        ({"prodution": True}, "spinnaker-ecr:deploy.prodution: true is not a known key"),
    ],
)
def test_a_bad_deploy_value_is_a_named_error_with_its_line(tmp_path: Path, deploy: dict[str, Any], named: str) -> None:
    path = write_stack(tmp_path, "qa", config_with(template(), **deploy))
    message = refused(tmp_path)
    assert str(path) in message and named in message
    assert "line " in message


def test_a_mistyped_deploy_key_is_refused_not_read_as_the_default(tmp_path: Path) -> None:
    """`deplyo: {production: true}` would otherwise make a production stack an ordinary one."""
    config = copy.deepcopy(stack_config(template()))
    config.pop(DEPLOY, None)
    config["spinnaker-ecr:deplyo"] = {"production": True}
    write_stack(tmp_path, "qa", config)
    assert "did you mean deploy?" in refused(tmp_path)


def test_every_problem_of_every_file_is_listed(tmp_path: Path) -> None:
    write_stack(tmp_path, "one", config_with(template(), order=0))
    write_stack(tmp_path, "two", config_with(template(), production="no"))
    message = refused(tmp_path)
    assert "Pulumi.one.yaml" in message and "Pulumi.two.yaml" in message


def test_a_stack_needs_its_region(tmp_path: Path) -> None:
    config = config_with(template(), order=1)
    del config["aws:region"]
    write_stack(tmp_path, "qa", config)
    assert "aws:region: is required" in refused(tmp_path)


def test_other_configuration_problems_stop_the_list_too(tmp_path: Path) -> None:
    config = config_with(template(), order=1)
    config["aws:region"] = "mars-east-1"
    write_stack(tmp_path, "qa", config)
    assert "aws:region: 'mars-east-1'" in refused(tmp_path)


@pytest.mark.parametrize("name", ["bad name", "x" * 101])
def test_a_file_name_that_is_no_stack_name_is_refused(tmp_path: Path, name: str) -> None:
    write_stack(tmp_path, name, config_with(template(), order=1))
    assert "is not a stack name" in refused(tmp_path)


def test_a_yml_stack_file_is_named_not_skipped(tmp_path: Path) -> None:
    write_stack(tmp_path, "dev", config_with(template(), order=1))
    (tmp_path / "Pulumi.qa.yml").write_text((tmp_path / "Pulumi.dev.yaml").read_text())
    assert "Pulumi.qa.yml: the workflows and tools read Pulumi.<stack>.yaml only" in refused(tmp_path)


def test_no_stack_files_is_an_error(tmp_path: Path) -> None:
    assert "has no stack files" in refused(tmp_path)


def test_a_stack_file_the_cli_would_refuse_is_named(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.qa.yaml").write_text("config:\n  spinnaker-ecr:deploy: [\n")
    assert "Pulumi.qa.yaml" in refused(tmp_path)


def test_the_base_branchs_production_stacks_stay_production(tmp_path: Path) -> None:
    """A pull request that turns `production` off in its own file is still listed as production."""
    base, head = tmp_path / "base", tmp_path / "head"
    write_stack(base, "live", config_with(template(), order=2, production=True))
    write_stack(head, "live", config_with(template(), order=2, production=False))
    write_stack(head, "new", config_with(template(), order=1))
    assert [(e.stack, e.production) for e in environments(head)] == [("new", False), ("live", False)]
    kept = environments(head, keep_production_from=base)
    assert [(e.stack, e.production) for e in kept] == [("new", False), ("live", True)]
    assert [(e.stack, e.production) for e in environments(head, keep_production_from=tmp_path / "none")] == [
        ("new", False),
        ("live", False),
    ]


def test_the_base_branch_is_read_only_for_production(tmp_path: Path) -> None:
    """The base branch's files need not pass the pull request's checks: only `production: true` counts."""
    base = tmp_path / "base"
    base.mkdir()
    (base / "Pulumi.live.yaml").write_text("config:\n  spinnaker-ecr:deploy:\n    production: true\n    old: 1\n")
    (base / "Pulumi.other.yaml").write_text("config:\n  spinnaker-ecr:deploy:\n    production: 'true'\n")
    assert tool.production_in(base) == {"live"}


def test_the_placeholder_image_is_refused_only_when_asked(tmp_path: Path) -> None:
    config = config_with(template(), order=1)
    image = config[TOKEN_REFRESH]["image"].split("@")[0].split(":")[0] + "@" + PLACEHOLDER_DIGEST
    config[TOKEN_REFRESH] = {**config[TOKEN_REFRESH], "image": image}
    path = write_stack(tmp_path, "qa", config)
    assert [e.stack for e in environments(tmp_path)] == ["qa"]
    message = refused(tmp_path, refuse_placeholder_images=True)
    assert str(path) in message and "spinnaker-ecr:tokenRefresh.image" in message
    assert "docs/sidecar-image.md" in message and "line " in message


def test_errors_exit_2_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_stack(tmp_path, "qa", config_with(template(), order=0))
    assert tool.main(["--json"], tmp_path) == tool.EXIT_INVALID
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("environments: ")
    assert "spinnaker-ecr:deploy.order: 0" in captured.err


def test_the_committed_stacks_directory_is_the_one_read() -> None:
    assert tool.STACKS_DIR == STACKS_DIR


def test_an_extra_sidecar_on_the_placeholder_digest_is_refused_too(tmp_path: Path) -> None:
    """A pod whose extra sidecar cannot be pulled never starts: that image must be real before a deploy too."""
    config = config_with(template(), order=1)
    spinnaker = config["spinnaker-ecr:spinnaker"]
    shipper = {"name": "log-shipper", "dockerImage": "registry.example/shipper@" + PLACEHOLDER_DIGEST}
    config["spinnaker-ecr:spinnaker"] = {
        **spinnaker,
        "extraSidecars": [{"name": "other", "dockerImage": "x:1"}, shipper],
    }
    write_stack(tmp_path, "qa", config)
    assert [e.stack for e in environments(tmp_path)] == ["qa"]
    message = refused(tmp_path, refuse_placeholder_images=True)
    assert "spinnaker-ecr:spinnaker.extraSidecars[1].dockerImage: 'registry.example/shipper@sha256:" in message
    assert "line " in message
