"""What a real `pulumi preview` refuses: bad configuration (the same named problems as the render, nothing
registered) and the policy pack's mandatory rules, with production.json making the advisory ones mandatory."""

from __future__ import annotations

import re
import stat
import subprocess
from pathlib import Path

from tests.e2e.conftest import stack_config
from tests.support.pulumi_project import ROOT, PulumiProject
from tools.kubernetes_api import KubernetesApi, resource_path

PRODUCTION = ROOT / "policy" / "config" / "production.json"


def policy_pack_executable(directory: Path) -> Path:
    """The pack, started as an executable policy pack (the CLI's route for a pack that is a program): the language
    host this suite can build does not start Python packs for today's CLI (docs/e2e.md)."""
    script = directory / "spinnaker-ecr-policy"
    script.write_text(
        f"#!/bin/sh\ncd '{ROOT / 'policy'}' && exec '{ROOT / '.venv' / 'bin' / 'python'}' -u __main__.py\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def render_problems(stack_file: Path, out: Path) -> list[str]:
    """The problems the offline render names for a stack file, without the line numbers and the as-typed spelling that
    only the render can show (it reads the file's text; the program sees the values the CLI parsed)."""
    command = ["-m", "tools.render", "--stack", "e2e", "--config-file", str(stack_file), "--out", str(out)]
    rendered = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert rendered.returncode == 2, rendered.stdout + rendered.stderr
    assert not out.exists()
    lines = [line.strip() for line in rendered.stderr.splitlines() if line.strip().startswith("- line ")]
    without_lines = [re.sub(r"^- line \d+: ", "", line) for line in lines]
    return [re.sub(r"^(\S+): \S+ \(Pulumi reads (\S+)\)", r"\1: \2", line) for line in without_lines]


def test_bad_configuration_fails_preview_with_the_render_s_named_problems_and_registers_nothing(
    project: PulumiProject, api: KubernetesApi, kubeconfig: Path, namespace: str, tmp_path: Path
) -> None:
    text = f"""# yaml-language-server: $schema=stack-file.schema.json
config:
  kubernetes:kubeconfig: {kubeconfig}
  spinnaker-ecr:access:
    mode: existing-role
    roleArn: arn:aws:iam::111122223333:role/spinnaker-ecr
    serviceAccount: {{name: spin-clouddriver}}
  spinnaker-ecr:spinnaker:
    namespace: {namespace}
  spinnaker-ecr:tokenRefresh:
    image: registry.example/ecr-token-refresh:1
  spinnaker-ecr:registries:
    - name: ecr-main
      accountId: 012345670123
      region: eu-wset-1
    - name: ecr-two
      accountId: 012345678901
      region: us-east-1
"""
    project.write_stack_text(text)
    problems = render_problems(project.stack_file, tmp_path / "rendered")
    # The CLI reads stack files with YAML 1.2 rules: an unquoted id is a number, octal when its digits allow.
    assert problems[0].startswith("spinnaker-ecr:registries[0].accountId: 1402433619 is a number: quote it"), problems
    assert problems[2].startswith("spinnaker-ecr:registries[1].accountId: 12345678901 is a number: quote it"), problems
    assert "did you mean eu-west-1?" in problems[1]
    assert len(problems) == 3

    refused = project.preview(check=False)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0
    for problem in problems:
        assert problem in output, f"{problem!r} is not in the preview's output:\n{output}"

    failed_up = project.up(check=False)
    assert failed_up.returncode != 0
    assert [r["type"] for r in project.resources() if not r["type"].startswith("pulumi:")] == []
    assert not [
        item["metadata"]["name"]
        for item in api.get(resource_path("v1", "configmaps", namespace))["items"]
        if item["metadata"]["name"].startswith("token-refresh")
    ]


def test_the_policy_pack_runs_in_a_real_preview(
    project: PulumiProject, kubeconfig: Path, namespace: str, tmp_path: Path
) -> None:
    pack = policy_pack_executable(tmp_path)
    # An image by tag: advisory by default, mandatory with production.json.
    project.write_config(stack_config(kubeconfig, namespace, tokenRefresh={"image": "registry.example/etr:1"}))
    advisory = project.preview("--policy-pack", str(pack))
    assert "[advisory]  token-refresh-image-pinned-by-digest" in advisory.stdout, advisory.stdout
    production = project.preview("--policy-pack", str(pack), "--policy-pack-config", str(PRODUCTION), check=False)
    assert production.returncode != 0
    assert "[mandatory]  token-refresh-image-pinned-by-digest" in production.stdout, production.stdout


def test_a_program_edit_that_adds_a_resource_type_fails_the_preview_on_a_mandatory_rule(
    project: PulumiProject, kubeconfig: Path, namespace: str, tmp_path: Path
) -> None:
    """A hostile program change, not a stack-file edit: the pack's allow-list of resource types refuses it."""
    program = project.directory / "__main__.py"
    program.unlink()
    program.write_text(
        "import runpy\n"
        "import pulumi_kubernetes as k8s\n"
        f"runpy.run_path({str(ROOT / '__main__.py')!r}, run_name='__main__')\n"
        f"k8s.core.v1.Secret('smuggled', metadata={{'namespace': {namespace!r}}}, string_data={{'token': 'x'}})\n",
        encoding="utf-8",
    )
    project.write_config(stack_config(kubeconfig, namespace))
    refused = project.preview("--policy-pack", str(policy_pack_executable(tmp_path)), check=False)
    assert refused.returncode != 0
    assert "[mandatory]  resource-types-allow-listed" in refused.stdout, refused.stdout
    assert "kubernetes:core/v1:Secret" in refused.stdout
