"""The workflows pass actionlint (with shellcheck on their scripts where it is installed) and zizmor's offline audits
with no finding above low, and the sidecar's Dockerfile passes hadolint. All three come from requirements-dev.txt."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WORKFLOWS = ROOT / ".github" / "workflows"


def tool(name: str) -> str:
    path = BIN / name
    assert path.exists(), f"{name} is not installed: make requirements, or uv pip install -r requirements-dev.txt"
    return str(path)


def test_actionlint_finds_nothing() -> None:
    result = subprocess.run([tool("actionlint"), "-no-color"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    if shutil.which("shellcheck") is None:
        print("shellcheck is not installed: actionlint did not check the run: scripts")


def test_zizmor_finds_nothing_above_low() -> None:
    result = subprocess.run(
        [tool("zizmor"), "--offline", "--format", "json", str(WORKFLOWS)], cwd=ROOT, capture_output=True, text=True
    )
    findings = json.loads(result.stdout)
    serious = [
        (f["ident"], f["determinations"]["severity"], f["locations"][0]["symbolic"]["key"])
        for f in findings
        if f["determinations"]["severity"] not in ("Unknown", "Informational", "Low")
    ]
    assert serious == []


def test_hadolint_finds_nothing_in_the_sidecar_dockerfile() -> None:
    result = subprocess.run([tool("hadolint"), "sidecar/Dockerfile"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout == "", result.stdout + result.stderr
