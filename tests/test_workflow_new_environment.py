"""Adding an environment is one file: a copy of this repository gains `stacks/Pulumi.qa.yaml` (a copy of a
non-production stack with an order of its own) and nothing else, and there the stack list has qa in its place and
the checks of the workflows and the stack files pass unchanged.

The copy is the working tree's files that git knows (tracked, or new and not ignored), so it works in CI's clean
clone without network; its tests run with this interpreter."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tools.environments import environments

ROOT = Path(__file__).resolve().parent.parent
NEW = "qa"
# The fast checks that depend on the stack files (the copy's own, unchanged). The sidecar run against moto says
# nothing about stacks and is left out to keep this quick.
CHECKS = [
    "tests/test_workflows.py",
    "tests/test_stack_files.py",
    "tests/test_stack_schema.py",
    "tests/test_environments.py",
    "tests/test_workflow_sidecar_image.py",
]
LEFT_OUT = "tests/test_workflow_sidecar_image.py::test_the_run_expects_what_the_sidecar_writes_from_the_stub"


def copy_of_repository(into: Path) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is not part of it
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)
    return into


def new_stack_file(copy: Path) -> tuple[str, int]:
    """stacks/Pulumi.qa.yaml: the last non-production stack's file, with the next free order. Returns the template
    and qa's order."""
    listed = environments()
    template = [e for e in listed if not e.production][-1]
    taken = {e.order for e in listed}
    order = next(n for n in range(template.order + 1, template.order + 1000) if n not in taken)
    text = (copy / "stacks" / f"Pulumi.{template.stack}.yaml").read_text()
    text, changed = re.subn(r"(?m)^(  spinnaker-ecr:deploy:\n    order: )\d+$", rf"\g<1>{order}", text)
    assert changed == 1, f"Pulumi.{template.stack}.yaml has no spinnaker-ecr:deploy.order to change"
    (copy / "stacks" / f"Pulumi.{NEW}.yaml").write_text(text)
    return template.stack, order


def test_a_second_checkout_gains_a_stack_by_one_file(tmp_path: Path) -> None:
    copy = copy_of_repository(tmp_path / "copy")
    template, order = new_stack_file(copy)

    listed = subprocess.run(
        [sys.executable, "-m", "tools.environments", "--json"], cwd=copy, check=True, capture_output=True, text=True
    )
    stacks = json.loads(listed.stdout)
    orders = {e.stack: e.order for e in environments()} | {NEW: order}
    assert [e["stack"] for e in stacks] == sorted(orders, key=lambda stack: (orders[stack], stack))
    (qa,) = [e for e in stacks if e["stack"] == NEW]
    assert qa["order"] == order and qa["production"] is False and qa["after"] == template

    checks = subprocess.run(
        [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", *CHECKS, "--deselect", LEFT_OUT],
        cwd=copy,
        capture_output=True,
        text=True,
    )
    assert checks.returncode == 0, checks.stdout[-4000:] + checks.stderr[-2000:]
    # The copy's tests saw qa: the per-stack checks have a case for it.
    assert f"test_stack_files.py::test_the_settings_module_accepts_the_stack[{NEW}] PASSED" in checks.stdout
