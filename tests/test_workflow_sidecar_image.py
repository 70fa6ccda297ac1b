"""The sidecar image as a deliverable. .github/workflows/sidecar-image.yml builds sidecar/ for linux/amd64 and
linux/arm64, runs each platform's image once against a local ECR stub before anything is pushed, pushes through
OIDC with SBOM and provenance attestations, and prints the `tokenRefresh.image` line; `make sidecar-image` builds it
with a local Docker; and every stack file names an image the project can produce.

No Docker engine runs here: the workflow's own scripts run with stand-ins (the sidecar as a process for the image)."""

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from ecr_token_refresh import contract

from components.model import is_legacy_image
from tests.sidecar.sidecar_processes import MOTO_PASSWORD
from tools.environments import PLACEHOLDER_DIGEST
from tools.local_aws import MotoServer, local_aws_env
from tools.stack_files import stack_config, stack_names

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "sidecar-image.yml"
DOCS = ROOT / "docs" / "sidecar-image.md"
PLATFORMS = {"linux/amd64", "linux/arm64"}
# What the workflow publishes and a stack file may name: this project's image in an ECR registry, by digest.
OWN_IMAGE = re.compile(
    r"(?P<account>[0-9]{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?"
    r"/ecr-token-refresh@sha256:[0-9a-f]{64}"
)
PINNED_IMAGE = re.compile(r"\S+:\S+@sha256:[0-9a-f]{64}")
VERSION = tomllib.loads((ROOT / "sidecar" / "pyproject.toml").read_text())["project"]["version"]


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text())


@pytest.fixture(scope="module")
def job(workflow: dict[str, Any]) -> dict[str, Any]:
    (only,) = workflow["jobs"].values()
    return only


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job["steps"]


def using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in steps(job) if s.get("uses", "").startswith(action + "@")]


def named(job: dict[str, Any], name: str) -> dict[str, Any]:
    (step,) = [s for s in steps(job) if s.get("name") == name]
    return step


def position(job: dict[str, Any], step: dict[str, Any]) -> int:
    return next(i for i, s in enumerate(steps(job)) if s is step)


def run(script: str, env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """A `run:` script under bash -e, with this interpreter as `python`."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        ["bash", "-e", "-c", script], cwd=cwd, env={**os.environ, "PATH": path, **env}, capture_output=True, text=True
    )


def builds(job: dict[str, Any]) -> list[dict[str, Any]]:
    return using(job, "docker/build-push-action")


def push_step(job: dict[str, Any]) -> dict[str, Any]:
    (push,) = [s for s in builds(job) if s["with"].get("push") is True]
    return push


def smoke_step(job: dict[str, Any]) -> dict[str, Any]:
    return named(job, "Run each platform's image once against the local ECR stub")


# --- triggers, permissions, order ----------------------------------------------------------------------------------


def test_tags_and_manual_runs_publish_the_image(workflow: dict[str, Any]) -> None:
    assert workflow[True] == {"push": {"tags": ["sidecar-v*"]}, "workflow_dispatch": None}
    assert workflow["permissions"] == {}


def test_the_job_has_only_what_pushing_and_attesting_need(job: dict[str, Any]) -> None:
    assert job["permissions"] == {"contents": "read", "id-token": "write", "attestations": "write"}
    assert job["environment"] == "sidecar-image"
    assert job["concurrency"]["cancel-in-progress"] is False


def test_each_platform_runs_before_anything_is_pushed(job: dict[str, Any]) -> None:
    smoke = position(job, smoke_step(job))
    loads = [position(job, s) for s in builds(job) if s["with"].get("load") is True]
    credentials = position(job, using(job, "aws-actions/configure-aws-credentials")[0])
    login = position(job, using(job, "aws-actions/amazon-ecr-login")[0])
    push = position(job, push_step(job))
    summary = position(job, named(job, "The tokenRefresh.image line to paste"))
    (attest,) = [position(job, s) for s in using(job, "actions/attest")]
    assert max(loads) < smoke < credentials < login < push < summary < attest
    assert all(s["with"].get("push", False) is False for s in builds(job) if s is not push_step(job))


def test_both_platforms_are_built_run_and_pushed(job: dict[str, Any]) -> None:
    loaded = {s["with"]["platforms"]: s["with"] for s in builds(job) if s["with"].get("load") is True}
    assert set(loaded) == PLATFORMS
    for platform, build in loaded.items():
        arch = platform.split("/")[1]
        assert build["tags"] == f"ecr-token-refresh:run-{arch}"
        # The docker exporter takes no attestations; the pushed build carries them.
        assert build["provenance"] is False and build["sbom"] is False
    archs = " ".join(sorted(p.split("/")[1] for p in PLATFORMS))
    assert f"for platform in {archs}; do" in smoke_step(job)["run"]
    push = push_step(job)["with"]
    assert set(push["platforms"].split(",")) == PLATFORMS
    assert all(s["with"]["context"] == "sidecar" for s in builds(job))
    assert (ROOT / "sidecar" / "Dockerfile").is_file()


def test_the_push_carries_sbom_and_provenance_and_a_github_attestation(job: dict[str, Any]) -> None:
    push = push_step(job)["with"]
    assert push["sbom"] is True and push["provenance"] == "mode=max"
    repository = "${{ steps.ecr.outputs.registry }}/${{ vars.ECR_REPOSITORY }}"
    assert push["tags"] == f"{repository}:${{{{ steps.tag.outputs.tag }}}}"
    (attest,) = using(job, "actions/attest")
    assert attest["with"] == {
        "subject-name": repository,
        "subject-digest": "${{ steps.push.outputs.digest }}",
        "push-to-registry": False,
        "create-storage-record": False,
    }
    assert named(job, "The tokenRefresh.image line to paste")["env"]["IMAGE"] == repository
    assert push_step(job)["id"] == "push"


def test_the_push_role_comes_from_oidc_and_the_environments_variables(job: dict[str, Any]) -> None:
    (credentials,) = using(job, "aws-actions/configure-aws-credentials")
    assert credentials["with"]["role-to-assume"] == "${{ vars.AWS_ROLE_ARN }}"
    assert credentials["with"]["aws-region"] == "${{ vars.ECR_REGION }}"
    (login,) = using(job, "aws-actions/amazon-ecr-login")
    assert login["id"] == "ecr"


def test_the_emulator_and_buildkit_are_pinned_by_digest_and_nothing_is_cached(job: dict[str, Any]) -> None:
    (qemu,) = using(job, "docker/setup-qemu-action")
    assert PINNED_IMAGE.fullmatch(qemu["with"]["image"]) and qemu["with"]["cache-image"] is False
    assert qemu["with"]["platforms"] == "arm64"
    (buildx,) = using(job, "docker/setup-buildx-action")
    assert PINNED_IMAGE.fullmatch(buildx["with"]["driver-opts"].removeprefix("image="))
    assert buildx["with"]["cache-binary"] is False
    assert "cache-from" not in yaml.safe_dump(job) and "cache-to" not in yaml.safe_dump(job)


# --- the run against the local ECR stub --------------------------------------------------------------------------


def test_the_run_mounts_what_the_program_mounts(job: dict[str, Any]) -> None:
    """The config where the sidecar reads it by default, the passwords where the program shares them."""
    script = smoke_step(job)["run"]
    assert f'--volume "$run/config:{contract.CONFIG_DIRECTORY}:ro"' in script
    assert f'--volume "$run/passwords:{contract.PASSWORD_DIRECTORY}"' in script
    assert f'> "$run/config/{contract.CONFIG_KEY}"' in script
    config = yaml.safe_load(smoke_step(job)["env"]["SMOKE_CONFIG"])
    (registry,) = config["registries"]
    assert registry["passwordFile"] == f"{contract.PASSWORD_DIRECTORY}/smoke.pass"
    assert '"$run/passwords/smoke.pass"' in script
    assert "--once" in script and "--help" in script


def test_the_stub_is_the_tests_moto(job: dict[str, Any]) -> None:
    install = named(job, "Install the local ECR stub")["run"]
    assert "grep -v '^-e ' requirements-dev.txt" in install and '"moto[server]"' in install
    assert re.search(r"^moto==\S+$", (ROOT / "requirements-dev.txt").read_text(), re.MULTILINE)


def test_the_run_expects_what_the_sidecar_writes_from_the_stub(job: dict[str, Any], tmp_path: Path) -> None:
    """The image's run, with the sidecar as a process: the step's config is accepted and gives the step's password."""
    step = smoke_step(job)
    assert step["env"]["SMOKE_PASSWORD"] == MOTO_PASSWORD
    password_file = tmp_path / "passwords" / "smoke.pass"
    config = step["env"]["SMOKE_CONFIG"].replace(f"{contract.PASSWORD_DIRECTORY}/smoke.pass", str(password_file))
    (tmp_path / "config.yaml").write_text(config)
    server = MotoServer(tmp_path)
    server.start()
    try:
        command = [sys.executable, "-m", "ecr_token_refresh", "--config", str(tmp_path / "config.yaml"), "--once"]
        subprocess.run(command, env=local_aws_env(server.url), check=True, capture_output=True, timeout=60)
    finally:
        server.stop()
    assert password_file.read_text() == step["env"]["SMOKE_PASSWORD"]


# --- the tag and the line to paste --------------------------------------------------------------------------------


def tag_of(job: dict[str, Any], ref: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    output = tmp_path / "output"
    env = {"GITHUB_REF": ref, "GITHUB_SHA": "0123456789abcdef" * 2 + "01234567", "GITHUB_OUTPUT": str(output)}
    result = run(named(job, "Image tag")["run"], env)
    result.stdout += output.read_text() if output.exists() else ""
    return result


def test_a_release_tag_must_be_the_sidecars_version(job: dict[str, Any], tmp_path: Path) -> None:
    released = tag_of(job, f"refs/tags/sidecar-v{VERSION}", tmp_path)
    assert released.returncode == 0 and released.stdout == f"tag={VERSION}\n"
    other = tag_of(job, f"refs/tags/sidecar-v{VERSION}.1", tmp_path / "other")
    assert other.returncode != 0 and "does not match version" in other.stdout


def test_a_manual_run_is_tagged_with_the_version_and_commit(job: dict[str, Any], tmp_path: Path) -> None:
    manual = tag_of(job, "refs/heads/main", tmp_path)
    assert manual.returncode == 0 and manual.stdout == f"tag={VERSION}-git.0123456789ab\n"


def test_the_summary_prints_the_line_to_paste(job: dict[str, Any], tmp_path: Path) -> None:
    step = named(job, "The tokenRefresh.image line to paste")
    summary = tmp_path / "summary.md"
    image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/ecr-token-refresh"
    digest = "sha256:" + "ab" * 32
    env = {"IMAGE": image, "DIGEST": digest, "TAG": VERSION, "GITHUB_STEP_SUMMARY": str(summary)}
    result = run(step["run"], {**env, "GITHUB_REPOSITORY": "owner/repo"})
    assert result.returncode == 0, result.stderr
    (line,) = [line for line in summary.read_text().splitlines() if line.strip().startswith("image:")]
    assert line == f"    image: {image}@{digest}"
    assert OWN_IMAGE.fullmatch(line.split("image: ")[1])
    assert "spinnaker-ecr:tokenRefresh:" in summary.read_text()
    assert f"gh attestation verify oci://{image}@{digest} --repo owner/repo" in summary.read_text()
    no_digest = run(step["run"], {**env, "DIGEST": "", "GITHUB_STEP_SUMMARY": str(tmp_path / "none.md")})
    assert no_digest.returncode != 0 and not (tmp_path / "none.md").exists()


# --- docs, make, and the stack files -------------------------------------------------------------------------------


def test_the_docs_name_every_variable_the_workflow_reads() -> None:
    docs = DOCS.read_text()
    variables = set(re.findall(r"vars\.(\w+)", WORKFLOW.read_text()))
    assert variables
    for name in variables:
        assert f"`{name}`" in docs, f"docs/sidecar-image.md does not explain vars.{name}"
    for command in ("make sidecar-image", "gh attestation verify", "docker buildx imagetools inspect"):
        assert command in docs


def test_make_sidecar_image_builds_the_workflows_platforms() -> None:
    env = {key: value for key, value in os.environ.items() if key not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    command = ["make", "--no-print-directory", "-n", "sidecar-image"]
    printed = subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout.splitlines()
    platforms = ",".join(sorted(PLATFORMS))
    assert printed == [
        f"docker buildx build --platform {platforms} sidecar/",
        "docker buildx build --load --tag ecr-token-refresh:local sidecar/",
    ]


def token_refresh(stack: str) -> dict[str, Any]:
    return stack_config(stack).get("spinnaker-ecr:tokenRefresh", {})


@pytest.mark.parametrize("stack", stack_names())
def test_every_stack_names_an_image_the_project_can_produce(stack: str) -> None:
    """The legacy image where the published procedure is the point (node role only), else this project's image in
    an ECR registry, pinned by digest: the one sidecar-image.yml prints, or the placeholder until it is published."""
    refresh = token_refresh(stack)
    if refresh.get("method", "sidecar") != "sidecar":
        return
    image = refresh["image"]
    if is_legacy_image(image):
        assert stack_config(stack)["spinnaker-ecr:access"]["mode"] == "node-role", image
    else:
        assert OWN_IMAGE.fullmatch(image), f"{stack}: {image} is neither the legacy image nor ours by digest"


@pytest.mark.parametrize("stack", stack_names())
def test_a_placeholder_digest_points_at_the_docs(stack: str) -> None:
    image = token_refresh(stack).get("image", "")
    if not image.endswith("@" + PLACEHOLDER_DIGEST):
        return
    lines = (ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text().splitlines()
    (at,) = [i for i, line in enumerate(lines) if line.strip() == f"image: {image}"]
    comments = [line for line in lines[:at] if line.strip().startswith("#")][-2:]
    assert any("docs/sidecar-image.md" in line for line in comments), f"{stack}: no comment on the placeholder"


def test_the_docs_explain_the_placeholder() -> None:
    docs = DOCS.read_text()
    assert PLACEHOLDER_DIGEST in docs and "placeholder" in docs
    assert "--refuse-placeholder-images" in docs
