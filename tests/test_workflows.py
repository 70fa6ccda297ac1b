"""The GitHub workflows (.github/workflows/): they parse, every action is pinned to a commit, the stack matrices come
from the files in stacks/ at run time (tools/environments.py), deploys run one stack at a time in the order the stack
files give, each in its environment, and each job has the least permissions.

Nothing here names a stack: what is checked comes from stacks/, so adding a stack file needs no edit here."""

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.environments import PLACEHOLDER_DIGEST, Environment, environments
from tools.stack_files import STACKS_DIR, stack_config, stack_names

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
DOCS = ROOT / "docs" / "pull-requests.md"
STACKS = stack_names()
ENVIRONMENTS = environments()
PINNED = re.compile(r"^\s*(?:-\s+)?uses:\s+(?P<action>[\w.-]+/[\w./-]+)@(?P<sha>[0-9a-f]{40}) # v\d+\.\d+\.\d+\s*$")
LOCAL = re.compile(r"^\s*(?:-\s+)?uses:\s+(?P<path>\./\.github/workflows/[\w.-]+\.yml)\s*$")
# Production stacks run the policy pack with this config, which makes its advisory policies mandatory.
PRODUCTION_CONFIG = "policy/config/production.json"
# The preview checks out the base branch's policy pack here: a pull request cannot weaken the pack that judges it.
BASE_BRANCH = "base-branch"
# Every stack matrix: one entry per stack file, as the `stacks` job lists them.
STACK_MATRIX = {"include": "${{ fromJSON(needs.stacks.outputs.environments) }}"}
# `<matrix or input>.production && '<config>' || ''`: the config for production stacks, nothing for the others.
PRODUCTION_ONLY = re.compile(r"^\$\{\{ matrix\.production && '(?P<config>[^']+)' \|\| '' \}\}$")


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


def run_step(script: str, cwd: Path, env: dict[str, str], output: Path, check: bool = True) -> Any:
    """A workflow's `run:` script under bash -e, as the runner runs it, with `.venv/bin/python` as this interpreter."""
    script = script.replace(".venv/bin/python", sys.executable)
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "GITHUB_OUTPUT": str(output), **env}
    return subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env=environment, check=check, capture_output=True)


def outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


def production_config(expression: str, environment: Environment) -> str:
    """What GitHub makes of `matrix.production && '<config>' || ''` for this matrix entry."""
    match = PRODUCTION_ONLY.match(expression)
    assert match, f"not of the form matrix.production && '<config>' || '': {expression}"
    return match["config"] if environment.production else ""


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
    assert [p.name for p in all_workflows()] == ["deploy.yml", "pull-request.yml", "pulumi-up.yml", "sidecar-image.yml"]
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


def test_dependabot_keeps_the_pinned_actions_and_the_sidecar_base_image_current() -> None:
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    assert config["version"] == 2
    updates = {u["package-ecosystem"]: u for u in config["updates"]}
    assert set(updates) == {"github-actions", "docker"}
    assert updates["github-actions"]["directory"] == "/" and updates["docker"]["directory"] == "/sidecar"
    assert all(update["schedule"]["interval"] == "weekly" for update in updates.values())
    assert (ROOT / "sidecar" / "Dockerfile").is_file()


def test_each_action_is_pinned_to_one_commit_everywhere() -> None:
    seen: dict[str, set[str]] = {}
    for path in all_workflows():
        for line in path.read_text().splitlines():
            if match := PINNED.match(line):
                seen.setdefault(match["action"], set()).add(match["sha"])
    assert {"actions/checkout", "actions/setup-python", "pulumi/actions"} <= set(seen)
    assert {action: len(shas) for action, shas in seen.items()} == dict.fromkeys(seen, 1)


def test_the_docs_list_every_pinned_action() -> None:
    """docs/pull-requests.md's table of pins is what the workflows use, one row per action."""
    used = {
        (match["action"], match["sha"], line.rsplit("# ", 1)[1].strip())
        for path in all_workflows()
        for line in path.read_text().splitlines()
        if (match := PINNED.match(line))
    }
    rows = re.findall(r"^  \| `([^`]+)` \| `([0-9a-f]{40})` \| (v[\d.]+) \|$", DOCS.read_text(), re.MULTILINE)
    assert sorted(rows) == sorted(used)


@pytest.mark.parametrize("path", all_workflows(), ids=lambda p: p.name)
def test_permissions_are_empty_at_the_top_and_granted_per_job(path: Path) -> None:
    workflow = yaml.safe_load(path.read_text())
    assert workflow["permissions"] == {}
    allowed = {"contents": {"read"}, "id-token": {"write"}, "pull-requests": {"write"}, "attestations": {"write"}}
    for name, job in workflow["jobs"].items():
        granted = job.get("permissions")
        assert isinstance(granted, dict) and granted, f"{path.name} {name}: no permissions of its own"
        for scope, level in granted.items():
            assert level in allowed.get(scope, set()), f"{path.name} {name}: {scope}: {level}"
        uses_aws = any(s.get("uses", "").startswith("aws-actions/") for s in steps(job)) or "uses" in job
        assert ("id-token" in granted) == uses_aws, f"{path.name} {name}: id-token only where a role is assumed"
        attests = any(s.get("uses", "").startswith("actions/attest@") for s in steps(job))
        assert ("attestations" in granted) == attests, f"{path.name} {name}: attestations only where one is made"
        comments = any(s.get("with", {}).get("comment-on-pr") for s in steps(job))
        assert ("pull-requests" in granted) == comments, f"{path.name} {name}: pull-requests only to comment"


def test_no_long_lived_aws_keys() -> None:
    """No AWS key reaches a workflow: roles come through OIDC. The one exception is the sidecar image's run against
    the local ECR stub, which passes literal dummy keys (tests/test_workflow_sidecar_image.py)."""
    for path in all_workflows():
        text = path.read_text()
        if path.name == "sidecar-image.yml":
            text = text.replace("--env AWS_ACCESS_KEY_ID=stub --env AWS_SECRET_ACCESS_KEY=stub", "")
        for key in ("aws-access-key-id", "aws-secret-access-key", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            assert key not in text, f"{path.name} uses {key}"


def scalars(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in [*scalars(key), *scalars(item)]]
    if isinstance(value, list):
        return [s for item in value for s in scalars(item)]
    return [str(value)]


@pytest.mark.parametrize("path", all_workflows(), ids=lambda p: p.name)
def test_no_workflow_names_a_stack(path: Path) -> None:
    """Stacks come from stacks/ at run time: no value in a workflow is a stack's name or its file."""
    values = scalars(yaml.safe_load(path.read_text()))
    for stack in STACKS:
        named = [v for v in values if v == stack or f"Pulumi.{stack}.yaml" in v]
        assert not named, f"{path.name} names the stack {stack!r}: {named}"


# --- the stack list -----------------------------------------------------------------------------------------------


def stacks_step(workflow: dict[str, Any]) -> dict[str, Any]:
    (step,) = [s for s in steps(workflow["jobs"]["stacks"]) if s.get("id") == "stacks"]
    return step


@pytest.mark.parametrize("name", ["pull-request.yml", "deploy.yml"])
def test_a_stacks_job_lists_the_stacks_for_the_matrices(name: str) -> None:
    workflow = load(name)
    job = workflow["jobs"]["stacks"]
    assert job["permissions"] == {"contents": "read"} and "needs" not in job
    assert job["outputs"] == {"environments": "${{ steps.stacks.outputs.environments }}"}
    install = index_of(job, lambda s: "-r requirements.txt" in s.get("run", ""))
    assert install < steps(job).index(stacks_step(workflow))
    assert "python -m tools.environments --json" in stacks_step(workflow)["run"]
    assert "secrets." not in yaml.safe_dump(job) and "vars." not in yaml.safe_dump(job)


def test_the_pull_request_matrix_is_every_stack_file(pull_request: dict[str, Any], tmp_path: Path) -> None:
    """The `stacks` step, run here with the base branch's stack files as they are now: its output is one entry per
    file in stacks/, in deploy order."""
    shutil.copytree(STACKS_DIR, tmp_path / BASE_BRANCH / "stacks")
    output = tmp_path / "output"
    run_step(stacks_step(pull_request)["run"], tmp_path, {}, output)
    listed = json.loads(outputs(output)["environments"])
    assert [e["stack"] for e in listed] == [e.stack for e in ENVIRONMENTS]
    assert sorted(e["stack"] for e in listed) == STACKS
    assert listed == [asdict(e) for e in ENVIRONMENTS]


def test_the_pull_request_keeps_the_base_branchs_production_stacks(
    pull_request: dict[str, Any], tmp_path: Path
) -> None:
    """A stack that is production on the base branch is previewed as production, whatever the pull request's file
    says: the `stacks` step reads `production` from the base branch's files too."""
    checkout = [s for s in steps(pull_request["jobs"]["stacks"]) if s.get("with", {}).get("path") == BASE_BRANCH]
    assert [s["with"] for s in checkout] == [
        {
            "ref": "${{ github.event.pull_request.base.sha }}",
            "path": BASE_BRANCH,
            "sparse-checkout": "stacks",
            "persist-credentials": False,
        }
    ]
    assert f"--keep-production-from {BASE_BRANCH}/stacks" in stacks_step(pull_request)["run"]
    # The base branch's files say production: true for every stack; the pull request's (stacks/) say otherwise for
    # some. The tool reads only `production` from the base side.
    assert not all(e.production for e in ENVIRONMENTS), "no non-production stack to try"
    base = tmp_path / BASE_BRANCH / "stacks"
    base.mkdir(parents=True)
    for stack in STACKS:
        (base / f"Pulumi.{stack}.yaml").write_text("config:\n  spinnaker-ecr:deploy:\n    production: true\n")
    output = tmp_path / "output"
    run_step(stacks_step(pull_request)["run"], tmp_path, {}, output)
    listed = json.loads(outputs(output)["environments"])
    assert all(e["production"] for e in listed)


def test_the_deploy_matrix_refuses_the_placeholder_image(deploy: dict[str, Any], tmp_path: Path) -> None:
    """deploy.yml's `stacks` step with the stack files as they are: it lists them when none still names the
    examples' placeholder image, and otherwise stops, naming each that does."""
    assert "--refuse-placeholder-images" in stacks_step(deploy)["run"]
    output = tmp_path / "output"
    result = run_step(stacks_step(deploy)["run"], ROOT, {}, output, check=False)
    placeholders = [
        stack
        for stack in STACKS
        if str(stack_config(stack).get("spinnaker-ecr:tokenRefresh", {}).get("image", "")).endswith(PLACEHOLDER_DIGEST)
    ]
    if placeholders:
        assert result.returncode != 0 and not output.exists()
        for stack in placeholders:
            assert f"stacks/Pulumi.{stack}.yaml" in result.stderr.decode()
    else:
        assert result.returncode == 0
        assert json.loads(outputs(output)["environments"]) == [asdict(e) for e in ENVIRONMENTS]


@pytest.mark.parametrize("job", ["render", "preview"])
def test_the_pull_request_matrices_are_the_listed_stacks(pull_request: dict[str, Any], job: str) -> None:
    strategy = pull_request["jobs"][job]["strategy"]
    assert strategy == {"fail-fast": False, "matrix": STACK_MATRIX}
    needs = pull_request["jobs"][job]["needs"]
    assert "stacks" in (needs if isinstance(needs, list) else [needs])


def test_the_matrices_region_is_each_stacks_aws_region() -> None:
    assert {e.stack: e.region for e in ENVIRONMENTS} == {s: stack_config(s)["aws:region"] for s in STACKS}


# --- pull requests ------------------------------------------------------------------------------------------------


def test_pull_requests_trigger_the_checks(pull_request: dict[str, Any]) -> None:
    assert list(triggers(pull_request)) == ["pull_request"]
    assert {"test", "stacks", "render", "preview"} == set(pull_request["jobs"])
    assert [s["run"] for s in steps(pull_request["jobs"]["test"]) if "run" in s] == ["make test"]


def test_preview_runs_pulumi_preview_with_the_policy_pack(pull_request: dict[str, Any]) -> None:
    job = pull_request["jobs"]["preview"]
    assert job["needs"] == ["test", "stacks"]
    pulumi = step_using(job, "pulumi/actions")["with"]
    assert pulumi["command"] == "preview" and pulumi["comment-on-pr"] is True
    assert pulumi["policyPacks"] == f"{BASE_BRANCH}/policy" and pulumi["work-dir"] == "."
    assert "matrix.stack" in pulumi["stack-name"]
    assert job["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}


def test_only_production_previews_pass_the_production_policy_config(pull_request: dict[str, Any]) -> None:
    pulumi = step_using(pull_request["jobs"]["preview"], "pulumi/actions")["with"]
    passed = {e.stack: production_config(pulumi["policyPackConfigs"], e) for e in ENVIRONMENTS}
    production = f"{BASE_BRANCH}/{PRODUCTION_CONFIG}"
    assert passed == {e.stack: production if e.production else "" for e in ENVIRONMENTS}
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
        "sparse-checkout": "policy\nsidecar\n",
        "persist-credentials": False,
    }
    pulumi = index_of(job, lambda s: s.get("uses", "").startswith("pulumi/actions@"))
    install = index_of(job, lambda s: f"-r {BASE_BRANCH}/policy/requirements.txt" in s.get("run", ""))
    assert steps(job).index(base) < install < pulumi
    assert f"python -m venv {BASE_BRANCH}/policy/.venv" in steps(job)[install]["run"]
    text = yaml.safe_dump(job)
    assert not re.search(r"(?<![\w/-])policy/", text.replace(f"{BASE_BRANCH}/policy/", "")), "the PR's own policy/"


def test_the_render_takes_the_policy_rules_from_the_base_branch(pull_request: dict[str, Any]) -> None:
    """The render judges the pull request with the base branch's rules and production config: a fork's pull request
    gets no preview, so its render is the only automated check, and must not run rules the pull request wrote."""
    job = pull_request["jobs"]["render"]
    restore = index_of(job, lambda s: s.get("run", "") == "git restore --source=HEAD^1 --worktree -- policy")
    render = index_of(job, lambda s: "python -m tools.render" in s.get("run", ""))
    checkout = index_of(job, lambda s: s.get("uses", "").startswith("actions/checkout@"))
    assert checkout < restore < render
    assert steps(job)[checkout]["with"]["fetch-depth"] == 2, "HEAD^1 is the base branch only in a merge commit's parent"
    assert steps(job)[restore]["if"] == steps(job)[render]["if"]


def test_the_render_s_restore_step_undoes_every_policy_change_of_the_pull_request(
    pull_request: dict[str, Any], tmp_path: Path
) -> None:
    """Run on a merge commit like the one the checkout gives: an edited rule, an added file and a deleted config all
    revert to the base branch; what the pull request changed elsewhere stays."""
    job = pull_request["jobs"]["render"]
    script = steps(job)[index_of(job, lambda s: "git restore" in s.get("run", ""))]["run"]
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]

    def commit(message: str) -> None:
        subprocess.run([*git, "add", "-A"], cwd=tmp_path, check=True)
        subprocess.run([*git, "commit", "-qm", message], cwd=tmp_path, check=True)

    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=tmp_path, check=True)
    (tmp_path / "policy" / "config").mkdir(parents=True)
    (tmp_path / "policy" / "rules.py").write_text("strict\n")
    (tmp_path / "policy" / "config" / "production.json").write_text("{}\n")
    commit("base")
    subprocess.run(["git", "checkout", "-qb", "pull-request"], cwd=tmp_path, check=True)
    (tmp_path / "policy" / "rules.py").write_text("weak\n")
    (tmp_path / "policy" / "config" / "production.json").unlink()
    (tmp_path / "policy" / "bypass.py").write_text("x\n")
    (tmp_path / "program.py").write_text("changed\n")
    commit("pull request")
    subprocess.run(["git", "checkout", "-q", "main"], cwd=tmp_path, check=True)
    subprocess.run([*git, "merge", "-q", "--no-ff", "pull-request", "-m", "merge"], cwd=tmp_path, check=True)

    run_step(script, tmp_path, {}, tmp_path / "out")
    assert (tmp_path / "policy" / "rules.py").read_text() == "strict\n"
    assert (tmp_path / "policy" / "config" / "production.json").read_text() == "{}\n"
    assert not (tmp_path / "policy" / "bypass.py").exists()
    assert (tmp_path / "program.py").read_text() == "changed\n"


def test_preview_skips_forks_and_uses_a_preview_environment(pull_request: dict[str, Any]) -> None:
    job = pull_request["jobs"]["preview"]
    assert job["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    # The deploy environments wait for approval on prod; a preview must not.
    assert job["environment"] == "preview-${{ matrix.stack }}"
    assert "matrix.stack" in job["concurrency"]["group"] and "pull_request.number" in job["concurrency"]["group"]


def test_render_runs_for_forks_without_secrets_and_uploads_each_stack(pull_request: dict[str, Any]) -> None:
    job = pull_request["jobs"]["render"]
    assert "if" not in job and job["needs"] == "stacks" and job["permissions"] == {"contents": "read"}
    assert "secrets." not in yaml.safe_dump(job) and "vars." not in yaml.safe_dump(job)
    assert job["env"]["STACK"] == "${{ matrix.stack }}"
    upload = step_using(job, "actions/upload-artifact")
    assert upload["with"]["path"] == "rendered/${{ matrix.stack }}"
    assert upload["with"]["name"] == "rendered-${{ matrix.stack }}"


@pytest.mark.parametrize("environment", ENVIRONMENTS, ids=lambda e: e.stack)
def test_render_runs_the_policy_rules_with_the_production_config_on_production_stacks(
    pull_request: dict[str, Any], environment: Environment, tmp_path: Path
) -> None:
    """The render step, run here with a stand-in for the render that prints its arguments."""
    job = pull_request["jobs"]["render"]
    script = next(s["run"] for s in steps(job) if "tools.render" in s.get("run", ""))
    script = script.replace(".venv/bin/python -m tools.render", "printf '%s\\n'")
    config = production_config(job["env"]["POLICY_CONFIG"], environment)
    env = {"STACK": environment.stack, "POLICY_CONFIG": config}
    printed = run_step(script, tmp_path, env, tmp_path / "output").stdout.decode().splitlines()
    expected = ["--stack", environment.stack, "--out", f"rendered/{environment.stack}", "--halyard"]
    if environment.production:
        expected += ["--policy-config", PRODUCTION_CONFIG]
    assert printed == expected


def changed_script(pull_request: dict[str, Any]) -> str:
    (step,) = [s for s in steps(pull_request["jobs"]["render"]) if s.get("id") == "changed"]
    return step["run"]


def stack_file_changes() -> list[tuple[list[str], set[str]]]:
    """Each stack's file alone, and the first two together: only those stacks render."""
    cases = [([f"stacks/Pulumi.{s}.yaml"], {s}) for s in STACKS]
    cases.append(([f"stacks/Pulumi.{s}.yaml" for s in STACKS[:2]], set(STACKS[:2])))
    return cases


@pytest.mark.parametrize(
    "changed_files, rendered",
    [
        *stack_file_changes(),
        (["stacks/Pulumi.added.yaml"], {"added"} & set(STACKS)),
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
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env={**os.environ, **env})

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
        run_step(changed_script(pull_request), repo, {**env, "STACK": stack}, output)
        if outputs(output)["render"] == "true":
            chosen.add(stack)
    assert chosen == rendered


# --- deploys ------------------------------------------------------------------------------------------------------


def test_deploys_run_on_pushes_to_main(deploy: dict[str, Any]) -> None:
    assert triggers(deploy)["push"]["branches"] == ["main"]
    assert [s["run"] for s in steps(deploy["jobs"]["test"]) if "run" in s] == ["make test"]
    assert set(deploy["jobs"]) == {"test", "stacks", "up"}


def test_deploys_go_one_stack_at_a_time_in_order_after_the_tests(deploy: dict[str, Any]) -> None:
    """One matrix job over the listed stacks, at most one running, the first failure cancelling the rest."""
    job = deploy["jobs"]["up"]
    assert job["needs"] == ["test", "stacks"]
    assert job["strategy"] == {"max-parallel": 1, "fail-fast": True, "matrix": STACK_MATRIX}
    assert job["uses"] == "./.github/workflows/pulumi-up.yml"
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    passed = job["with"]
    assert {key: passed[key] for key in ("stack", "region", "after")} == {
        "stack": "${{ matrix.stack }}",
        "region": "${{ matrix.region }}",
        "after": "${{ matrix.after }}",
    }
    assert set(passed) == {"stack", "region", "after", "policy-pack-config"}


def test_the_listed_order_is_deploy_order_and_each_stack_waits_for_the_one_before() -> None:
    """`after` chains the listed stacks: each names the one before it, the first none."""
    orders = [(e.order, e.stack) for e in ENVIRONMENTS]
    assert orders == sorted(orders)
    assert [e.after for e in ENVIRONMENTS] == ["", *[e.stack for e in ENVIRONMENTS[:-1]]]


def test_an_update_starts_only_after_the_stack_before_it_succeeded_in_this_run(pulumi_up: dict[str, Any]) -> None:
    """GitHub does not promise to start matrix jobs in their order: each update downloads the mark the update of
    `after` uploads when it succeeded, before anything else, and uploads its own mark last."""
    (job,) = pulumi_up["jobs"].values()
    first = steps(job)[0]
    assert first["uses"].startswith("actions/download-artifact@") and first["if"] == "inputs.after != ''"
    assert first["with"]["name"] == "updated-${{ inputs.after }}"
    pulumi = index_of(job, lambda s: s.get("uses", "").startswith("pulumi/actions@"))
    mark = index_of(job, lambda s: "$RUNNER_TEMP/mark/$STACK" in s.get("run", ""))
    upload = index_of(job, lambda s: s.get("uses", "").startswith("actions/upload-artifact@"))
    assert pulumi < mark < upload == len(steps(job)) - 1
    assert all("if" not in s for s in steps(job)[pulumi:]), "the mark only after a successful update"
    uploaded = steps(job)[upload]["with"]
    assert uploaded["name"] == first["with"]["name"].replace("inputs.after", "inputs.stack")
    assert uploaded["path"] == "${{ runner.temp }}/mark/${{ inputs.stack }}"
    assert uploaded["if-no-files-found"] == "error" and uploaded["overwrite"] is True


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
    assert deploy["jobs"]["up"]["secrets"] == {name: f"${{{{ secrets.{name} }}}}" for name in declared}
    used = set(re.findall(r"secrets\.(\w+)", (WORKFLOWS / "pulumi-up.yml").read_text()))
    assert used == set(declared), "pulumi-up.yml uses a secret it does not declare, or declares one it never uses"


def test_only_production_deploys_pass_the_production_policy_config(
    deploy: dict[str, Any], pulumi_up: dict[str, Any]
) -> None:
    declared = triggers(pulumi_up)["workflow_call"]["inputs"]["policy-pack-config"]
    assert declared["type"] == "string" and declared["required"] is False and declared["default"] == ""
    (job,) = pulumi_up["jobs"].values()
    assert step_using(job, "pulumi/actions")["with"]["policyPackConfigs"] == "${{ inputs.policy-pack-config }}"
    expression = deploy["jobs"]["up"]["with"]["policy-pack-config"]
    passed = {e.stack: production_config(expression, e) for e in ENVIRONMENTS}
    assert passed == {e.stack: PRODUCTION_CONFIG if e.production else "" for e in ENVIRONMENTS}


def test_each_update_runs_in_the_stacks_environment_one_at_a_time(pulumi_up: dict[str, Any]) -> None:
    inputs = triggers(pulumi_up)["workflow_call"]["inputs"]
    assert inputs["stack"] == {
        "description": "the stack to update, a file stacks/Pulumi.<stack>.yaml",
        "type": "string",
        "required": True,
    }
    assert inputs["region"]["required"] is True and inputs["after"]["default"] == ""
    (job,) = pulumi_up["jobs"].values()
    assert job["environment"] == "${{ inputs.stack }}"
    assert job["concurrency"] == {"group": "pulumi-up-${{ inputs.stack }}", "cancel-in-progress": False}
    pulumi = step_using(job, "pulumi/actions")["with"]
    assert pulumi["command"] == "up" and pulumi["policyPacks"] == "policy" and pulumi["work-dir"] == "."
    assert "inputs.stack" in pulumi["stack-name"]


# --- what preview and up share ----------------------------------------------------------------------------------


def cloud_jobs(pull_request: dict[str, Any], pulumi_up: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """Each job that reaches a cluster, and where it takes the stack's region from."""
    return [
        (pull_request["jobs"]["preview"], "${{ matrix.region }}"),
        (pulumi_up["jobs"]["up"], "${{ inputs.region }}"),
    ]


def test_credentials_come_from_oidc_then_kubeconfig_then_pulumi(
    pull_request: dict[str, Any], pulumi_up: dict[str, Any]
) -> None:
    for job, region in cloud_jobs(pull_request, pulumi_up):
        credentials = step_using(job, "aws-actions/configure-aws-credentials")["with"]
        assert credentials["role-to-assume"] == "${{ vars.AWS_ROLE_ARN }}"
        assert credentials["aws-region"] == region
        install = index_of(job, lambda s: "policy/requirements.txt" in s.get("run", ""))
        assume = index_of(job, lambda s: s.get("uses", "").startswith("aws-actions/"))
        kubeconfig = index_of(job, lambda s: "aws eks update-kubeconfig" in s.get("run", ""))
        pulumi = index_of(job, lambda s: s.get("uses", "").startswith("pulumi/actions@"))
        assert install < assume < kubeconfig < pulumi
        assert steps(job)[kubeconfig]["env"] == {"EKS_CLUSTER_NAME": "${{ vars.EKS_CLUSTER_NAME }}", "REGION": region}
        assert "-r requirements.txt" in steps(job)[install]["run"]


def test_the_pulumi_cli_matches_the_sdk_pin(pull_request: dict[str, Any], pulumi_up: dict[str, Any]) -> None:
    (sdk,) = re.findall(r"^pulumi==(\S+)$", (ROOT / "requirements.txt").read_text(), re.MULTILINE)
    for job, _ in cloud_jobs(pull_request, pulumi_up):
        pulumi = step_using(job, "pulumi/actions")
        assert pulumi["with"]["pulumi-version"] == sdk
        assert pulumi["env"]["PULUMI_ACCESS_TOKEN"] == "${{ secrets.PULUMI_ACCESS_TOKEN }}"
        assert pulumi["with"]["cloud-url"] == "${{ vars.PULUMI_BACKEND_URL }}"
