"""The GitHub workflows (.github/workflows/): they parse, every action is pinned to a commit, the stack matrices are
the files in stacks/, deploys run dev -> staging -> prod in environments, and each job has the least permissions."""

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.stack_files import stack_config, stack_names

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
STACKS = stack_names()
PINNED = re.compile(r"^\s*(?:-\s+)?uses:\s+(?P<action>[\w.-]+/[\w./-]+)@(?P<sha>[0-9a-f]{40}) # v\d+\.\d+\.\d+\s*$")
LOCAL = re.compile(r"^\s*(?:-\s+)?uses:\s+(?P<path>\./\.github/workflows/[\w.-]+\.yml)\s*$")
DEPLOY_ORDER = ["dev", "staging", "prod"]
# Production stacks run the policy pack with this config, which makes its advisory policies mandatory.
PRODUCTION_CONFIG = "policy/config/production.json"
PRODUCTION_STACKS = {"prod"}
# The preview checks out the base branch's policy pack here: a pull request cannot weaken the pack that judges it.
BASE_BRANCH = "base-branch"


def load(name: str) -> dict[str, Any]:
    return yaml.safe_load((WORKFLOWS / name).read_text())


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    # YAML 1.1 reads the key `on` as True.
    return workflow.get("on", workflow.get(True))


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps", [])


def step_using(job: dict[str, Any], action: str) -> dict[str, Any]:
    (step,) = [s for s in steps(job) if s.get("uses", "").startswith(action + "@")]
    return step


def index_of(job: dict[str, Any], predicate: Any) -> int:
    (index,) = [i for i, s in enumerate(steps(job)) if predicate(s)]
    return index


@pytest.fixture(scope="module")
def pull_request() -> dict[str, Any]:
    return load("pull-request.yml")


@pytest.fixture(scope="module")
def deploy() -> dict[str, Any]:
    return load("deploy.yml")


@pytest.fixture(scope="module")
def pulumi_up() -> dict[str, Any]:
    return load("pulumi-up.yml")


def all_workflows() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml"))


def test_the_workflows_exist_and_parse() -> None:
    assert [p.name for p in all_workflows()] == ["deploy.yml", "pull-request.yml", "pulumi-up.yml"]
    for path in all_workflows():
        workflow = yaml.safe_load(path.read_text())
        assert workflow["name"] and triggers(workflow) and workflow["jobs"], path.name


@pytest.mark.parametrize("path", all_workflows(), ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_with_its_version(path: Path) -> None:
    lines = [line for line in path.read_text().splitlines() if re.match(r"^\s*(-\s+)?uses:", line)]
    assert lines
    for line in lines:
        local = LOCAL.match(line)
        if local:
            assert (ROOT / local["path"]).is_file(), line
        else:
            assert PINNED.match(line), f"{path.name}: not pinned to a 40-hex commit with a '# vX.Y.Z' comment: {line}"


def test_dependabot_keeps_the_pinned_actions_current() -> None:
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    assert config["version"] == 2
    (actions,) = [u for u in config["updates"] if u["package-ecosystem"] == "github-actions"]
    assert actions["directory"] == "/" and actions["schedule"]["interval"] == "weekly"


def test_each_action_is_pinned_to_one_commit_everywhere() -> None:
    seen: dict[str, set[str]] = {}
    for path in all_workflows():
        for line in path.read_text().splitlines():
            if match := PINNED.match(line):
                seen.setdefault(match["action"], set()).add(match["sha"])
    assert {"actions/checkout", "actions/setup-python", "pulumi/actions"} <= set(seen)
    assert {action: len(shas) for action, shas in seen.items()} == dict.fromkeys(seen, 1)


@pytest.mark.parametrize("path", all_workflows(), ids=lambda p: p.name)
def test_permissions_are_empty_at_the_top_and_granted_per_job(path: Path) -> None:
    workflow = yaml.safe_load(path.read_text())
    assert workflow["permissions"] == {}
    allowed = {"contents": {"read"}, "id-token": {"write"}, "pull-requests": {"write"}}
    for name, job in workflow["jobs"].items():
        granted = job.get("permissions")
        assert isinstance(granted, dict) and granted, f"{path.name} {name}: no permissions of its own"
        for scope, level in granted.items():
            assert level in allowed.get(scope, set()), f"{path.name} {name}: {scope}: {level}"
        uses_aws = any(s.get("uses", "").startswith("aws-actions/") for s in steps(job)) or "uses" in job
        assert ("id-token" in granted) == uses_aws, f"{path.name} {name}: id-token only where a role is assumed"


def test_no_long_lived_aws_keys() -> None:
    for path in all_workflows():
        text = path.read_text()
        for key in ("aws-access-key-id", "aws-secret-access-key", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            assert key not in text, f"{path.name} uses {key}"


# --- pull requests ------------------------------------------------------------------------------------------------


def test_pull_requests_trigger_the_checks(pull_request: dict[str, Any]) -> None:
    assert list(triggers(pull_request)) == ["pull_request"]
    assert {"test", "render", "preview"} == set(pull_request["jobs"])
    assert [s["run"] for s in steps(pull_request["jobs"]["test"]) if "run" in s] == ["make test"]


@pytest.mark.parametrize("job", ["render", "preview"])
def test_the_stack_matrix_is_the_files_in_stacks(pull_request: dict[str, Any], job: str) -> None:
    matrix = pull_request["jobs"][job]["strategy"]["matrix"]["stack"]
    assert sorted(matrix) == STACKS and len(set(matrix)) == len(matrix)
    assert pull_request["jobs"][job]["strategy"]["fail-fast"] is False


def test_preview_runs_pulumi_preview_with_the_policy_pack(pull_request: dict[str, Any]) -> None:
    job = pull_request["jobs"]["preview"]
    assert job["needs"] == "test"
    pulumi = step_using(job, "pulumi/actions")["with"]
    assert pulumi["command"] == "preview" and pulumi["comment-on-pr"] is True
    assert pulumi["policyPacks"] == f"{BASE_BRANCH}/policy" and pulumi["work-dir"] == "."
    assert "matrix.stack" in pulumi["stack-name"]
    assert job["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}


def preview_policy_pack_configs(pull_request: dict[str, Any]) -> dict[str, str]:
    """Each stack's `matrix.policy-pack-config` in the preview, as GitHub merges `include` into the matrix."""
    matrix = pull_request["jobs"]["preview"]["strategy"]["matrix"]
    configs = dict.fromkeys(matrix["stack"], "")
    for extra in matrix.get("include", []):
        assert extra["stack"] in configs, f"include adds a stack the matrix does not list: {extra}"
        assert set(extra) == {"stack", "policy-pack-config"}, extra
        configs[extra["stack"]] = extra["policy-pack-config"]
    return configs


def test_only_production_previews_pass_the_production_policy_config(pull_request: dict[str, Any]) -> None:
    pulumi = step_using(pull_request["jobs"]["preview"], "pulumi/actions")["with"]
    assert pulumi["policyPackConfigs"] == "${{ matrix.policy-pack-config }}"
    production = f"{BASE_BRANCH}/{PRODUCTION_CONFIG}"
    expected = {stack: production if stack in PRODUCTION_STACKS else "" for stack in STACKS}
    assert preview_policy_pack_configs(pull_request) == expected
    assert (ROOT / PRODUCTION_CONFIG).is_file()


def test_preview_takes_the_policy_pack_and_its_config_from_the_base_branch(pull_request: dict[str, Any]) -> None:
    """A second checkout of the base ref, beside the pull request's: the pack, its config and its dependencies all
    come from there; nothing of the pull request's policy/ is used."""
    job = pull_request["jobs"]["preview"]
    (base,) = [s for s in steps(job) if s.get("with", {}).get("path") == BASE_BRANCH]
    assert base["uses"].startswith("actions/checkout@")
    assert base["with"] == {
        "ref": "${{ github.event.pull_request.base.sha }}",
        "path": BASE_BRANCH,
        "sparse-checkout": "policy",
        "persist-credentials": False,
    }
    pulumi = index_of(job, lambda s: s.get("uses", "").startswith("pulumi/actions@"))
    install = index_of(job, lambda s: f"-r {BASE_BRANCH}/policy/requirements.txt" in s.get("run", ""))
    assert steps(job).index(base) < install < pulumi
    assert f"python -m venv {BASE_BRANCH}/policy/.venv" in steps(job)[install]["run"]
    text = yaml.safe_dump(job)
    assert not re.search(r"(?<![\w/-])policy/", text.replace(f"{BASE_BRANCH}/policy/", "")), "the PR's own policy/"


def test_preview_skips_forks_and_uses_a_preview_environment(pull_request: dict[str, Any]) -> None:
    job = pull_request["jobs"]["preview"]
    assert job["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    # The deploy environments wait for approval on prod; a preview must not.
    assert job["environment"] == "preview-${{ matrix.stack }}"
    assert "matrix.stack" in job["concurrency"]["group"] and "pull_request.number" in job["concurrency"]["group"]


def test_render_runs_for_forks_without_secrets_and_uploads_each_stack(pull_request: dict[str, Any]) -> None:
    job = pull_request["jobs"]["render"]
    assert "if" not in job and "needs" not in job and job["permissions"] == {"contents": "read"}
    assert "secrets." not in yaml.safe_dump(job) and "vars." not in yaml.safe_dump(job)
    render = next(s["run"] for s in steps(job) if "tools.render" in s.get("run", ""))
    assert '--stack "$STACK"' in render and '--out "rendered/$STACK"' in render
    assert job["env"]["STACK"] == "${{ matrix.stack }}"
    upload = step_using(job, "actions/upload-artifact")
    assert upload["with"]["path"] == "rendered/${{ matrix.stack }}"
    assert upload["with"]["name"] == "rendered-${{ matrix.stack }}"


def changed_script(pull_request: dict[str, Any]) -> str:
    (step,) = [s for s in steps(pull_request["jobs"]["render"]) if s.get("id") == "changed"]
    return step["run"]


@pytest.mark.parametrize(
    "changed_files, rendered",
    [
        (["stacks/Pulumi.prod.yaml"], {"prod"}),
        (["stacks/Pulumi.dev.yaml", "stacks/Pulumi.staging.yaml"], {"dev", "staging"}),
        (["components/registries.py"], set(STACKS)),
        (["docs/pull-requests.md", "docs/flow.svg", "README.md"], set()),
        (["README.md", "requirements.txt"], set(STACKS)),
    ],
)
def test_render_picks_the_stacks_a_change_can_affect(
    pull_request: dict[str, Any], tmp_path: Path, changed_files: list[str], rendered: set[str]
) -> None:
    """The render job's own shell step, run on a two-commit repository whose second commit is the change."""
    repo = tmp_path / "repo"
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t"}
    env["GIT_COMMITTER_EMAIL"] = "t@t"

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)

    repo.mkdir()
    git("init", "-q")
    files = [f"stacks/Pulumi.{s}.yaml" for s in STACKS] + ["components/registries.py", "README.md", "docs/x.md"]
    for name in {*files, *changed_files}:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text("before\n")
    git("add", "-A")
    git("commit", "-q", "-m", "base")
    for name in changed_files:
        (repo / name).write_text("after\n")
    git("commit", "-q", "-am", "change")
    chosen = set()
    for stack in STACKS:
        output = tmp_path / f"output-{stack}"
        subprocess.run(
            ["bash", "-e", "-c", changed_script(pull_request)],
            cwd=repo,
            check=True,
            env={**env, "STACK": stack, "GITHUB_OUTPUT": str(output)},
        )
        if output.read_text().strip() == "render=true":
            chosen.add(stack)
    assert chosen == rendered


# --- deploys ------------------------------------------------------------------------------------------------------


def test_deploys_run_on_pushes_to_main(deploy: dict[str, Any]) -> None:
    assert triggers(deploy)["push"]["branches"] == ["main"]
    assert [s["run"] for s in steps(deploy["jobs"]["test"]) if "run" in s] == ["make test"]


def test_deploys_go_dev_staging_prod_after_the_tests(deploy: dict[str, Any]) -> None:
    jobs = deploy["jobs"]
    assert sorted(DEPLOY_ORDER) == STACKS
    previous = "test"
    for stack in DEPLOY_ORDER:
        job = jobs[stack]
        assert job["needs"] == previous, f"{stack} must wait for {previous}"
        assert job["uses"] == "./.github/workflows/pulumi-up.yml" and job["with"]["stack"] == stack
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
        previous = stack
    assert set(jobs) == {"test", *DEPLOY_ORDER}


def test_deploys_pass_only_the_secrets_pulumi_up_declares(deploy: dict[str, Any], pulumi_up: dict[str, Any]) -> None:
    """No `secrets: inherit`: the deploy role's job sees the Pulumi backend's secrets and nothing else."""
    declared = triggers(pulumi_up)["workflow_call"]["secrets"]
    assert declared == {
        "PULUMI_ACCESS_TOKEN": {"description": declared["PULUMI_ACCESS_TOKEN"]["description"], "required": False},
        "PULUMI_CONFIG_PASSPHRASE": {
            "description": declared["PULUMI_CONFIG_PASSPHRASE"]["description"],
            "required": False,
        },
    }
    for stack in DEPLOY_ORDER:
        assert deploy["jobs"][stack]["secrets"] == {name: f"${{{{ secrets.{name} }}}}" for name in declared}, stack
    used = set(re.findall(r"secrets\.(\w+)", (WORKFLOWS / "pulumi-up.yml").read_text()))
    assert used == set(declared), "pulumi-up.yml uses a secret it does not declare, or declares one it never uses"


def test_only_production_deploys_pass_the_production_policy_config(
    deploy: dict[str, Any], pulumi_up: dict[str, Any]
) -> None:
    declared = triggers(pulumi_up)["workflow_call"]["inputs"]["policy-pack-config"]
    assert declared["type"] == "string" and declared["required"] is False and declared["default"] == ""
    (job,) = pulumi_up["jobs"].values()
    assert step_using(job, "pulumi/actions")["with"]["policyPackConfigs"] == "${{ inputs.policy-pack-config }}"
    passed = {stack: deploy["jobs"][stack]["with"].get("policy-pack-config", "") for stack in DEPLOY_ORDER}
    assert passed == {stack: PRODUCTION_CONFIG if stack in PRODUCTION_STACKS else "" for stack in DEPLOY_ORDER}
    assert all(set(deploy["jobs"][stack]["with"]) <= {"stack", "policy-pack-config"} for stack in DEPLOY_ORDER)


def test_each_update_runs_in_the_stacks_environment_one_at_a_time(pulumi_up: dict[str, Any]) -> None:
    assert triggers(pulumi_up)["workflow_call"]["inputs"]["stack"] == {
        "description": "the stack to update, a file stacks/Pulumi.<stack>.yaml",
        "type": "string",
        "required": True,
    }
    (job,) = pulumi_up["jobs"].values()
    assert job["environment"] == "${{ inputs.stack }}"
    assert job["concurrency"] == {"group": "pulumi-up-${{ inputs.stack }}", "cancel-in-progress": False}
    pulumi = step_using(job, "pulumi/actions")["with"]
    assert pulumi["command"] == "up" and pulumi["policyPacks"] == "policy" and pulumi["work-dir"] == "."
    assert "inputs.stack" in pulumi["stack-name"]


# --- what preview and up share ----------------------------------------------------------------------------------


def cloud_jobs(pull_request: dict[str, Any], pulumi_up: dict[str, Any]) -> list[dict[str, Any]]:
    return [pull_request["jobs"]["preview"], pulumi_up["jobs"]["up"]]


def test_credentials_come_from_oidc_then_kubeconfig_then_pulumi(
    pull_request: dict[str, Any], pulumi_up: dict[str, Any]
) -> None:
    for job in cloud_jobs(pull_request, pulumi_up):
        credentials = step_using(job, "aws-actions/configure-aws-credentials")["with"]
        assert credentials["role-to-assume"] == "${{ vars.AWS_ROLE_ARN }}"
        assert credentials["aws-region"] == "${{ steps.stack.outputs.region }}"
        install = index_of(job, lambda s: "policy/requirements.txt" in s.get("run", ""))
        region = index_of(job, lambda s: s.get("id") == "stack")
        assume = index_of(job, lambda s: s.get("uses", "").startswith("aws-actions/"))
        kubeconfig = index_of(job, lambda s: "aws eks update-kubeconfig" in s.get("run", ""))
        pulumi = index_of(job, lambda s: s.get("uses", "").startswith("pulumi/actions@"))
        assert install < region < assume < kubeconfig < pulumi
        assert steps(job)[kubeconfig]["env"]["EKS_CLUSTER_NAME"] == "${{ vars.EKS_CLUSTER_NAME }}"
        assert "-r requirements.txt" in steps(job)[install]["run"]


def test_the_pulumi_cli_matches_the_sdk_pin(pull_request: dict[str, Any], pulumi_up: dict[str, Any]) -> None:
    (sdk,) = re.findall(r"^pulumi==(\S+)$", (ROOT / "requirements.txt").read_text(), re.MULTILINE)
    for job in cloud_jobs(pull_request, pulumi_up):
        pulumi = step_using(job, "pulumi/actions")
        assert pulumi["with"]["pulumi-version"] == sdk
        assert pulumi["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}"
        assert pulumi["with"]["cloud-url"] == "${{ vars.PULUMI_BACKEND_URL }}"


def test_the_region_step_reads_every_stack_file(pull_request: dict[str, Any], tmp_path: Path) -> None:
    """The step that picks the AWS region runs here against each stack file."""
    (step,) = [s for s in steps(pull_request["jobs"]["preview"]) if s.get("id") == "stack"]
    script = step["run"].replace(".venv/bin/python", sys.executable)
    for stack in STACKS:
        output = tmp_path / f"region-{stack}"
        subprocess.run(
            ["bash", "-e", "-c", script],
            cwd=ROOT,
            check=True,
            env={**os.environ, "STACK": stack, "GITHUB_OUTPUT": str(output)},
        )
        assert output.read_text() == f"region={stack_config(stack)['aws:region']}\n"
