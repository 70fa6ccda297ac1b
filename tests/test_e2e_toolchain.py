"""The end-to-end toolchain pins (e2e/toolchain/): versions.env is the single source, and every wrapper module's
go.mod requires exactly the versions it names. Reads files only; nothing is built."""

import itertools
import re
from pathlib import Path

import pytest

TOOLCHAIN = Path(__file__).resolve().parent.parent / "e2e" / "toolchain"
ASSIGNMENT = re.compile(r"^(?P<key>[A-Z][A-Z0-9_]*)=(?P<value>\S+)$")


def versions() -> dict[str, str]:
    pins = {}
    for line in (TOOLCHAIN / "versions.env").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            match = ASSIGNMENT.match(line)
            assert match, f"versions.env: {line!r} is not KEY=VALUE"
            pins[match["key"]] = match["value"]
    return pins


def go_mod(wrapper: str) -> tuple[dict[str, str], dict[str, str]]:
    """(module -> required version, module -> version it is replaced by) of one wrapper's go.mod."""
    requires: dict[str, str] = {}
    replaces: dict[str, str] = {}
    block = None
    for raw in (TOOLCHAIN / wrapper / "go.mod").read_text().splitlines():
        line = raw.split("//")[0].strip()
        if not line:
            continue
        if block and line == ")":
            block = None
            continue
        directive, rest = (block, line) if block else line.partition(" ")[::2]
        if rest == "(":
            block = directive
        elif directive == "require":
            module, version = rest.split()
            requires[module] = version
        elif directive == "replace":
            old, new = (side.split() for side in rest.split("=>"))
            replaces[old[0]] = new[1] if len(new) == 2 else new[0]
    return requires, replaces


def expected_requires() -> dict[str, dict[str, str]]:
    """wrapper -> the requirements that versions.env pins."""
    pins = versions()
    etcd = ["server/v3", "api/v3", "client/pkg/v3", "client/v3", "pkg/v3"]
    return {
        "pulumi": {
            "github.com/pulumi/pulumi/pkg/v3": pins["PULUMI_VERSION"],
            "github.com/pulumi/pulumi/sdk/v3": pins["PULUMI_VERSION"],
        },
        "pulumi-language-python": {"github.com/pulumi/pulumi/sdk/v3": pins["PULUMI_LANGUAGE_PYTHON_SDK_VERSION"]},
        "pulumi-resource-kubernetes": {
            "github.com/pulumi/pulumi-kubernetes/provider/v4": pins["PULUMI_KUBERNETES_PROVIDER_MODULE_VERSION"],
            "github.com/pulumi/pulumi-kubernetes/sdk/v4": "v" + pins["PULUMI_KUBERNETES_VERSION"],
        },
        "etcd": {f"go.etcd.io/etcd/{module}": pins["ETCD_VERSION"] for module in etcd},
        "kube-apiserver": {"k8s.io/kubernetes": pins["KUBERNETES_VERSION"]},
    }


def test_every_wrapper_module_is_checked() -> None:
    wrappers = {path.parent.name for path in TOOLCHAIN.glob("*/go.mod")}
    assert wrappers == set(expected_requires())


def test_every_pin_has_a_reason_and_is_used() -> None:
    lines = (TOOLCHAIN / "versions.env").read_text().splitlines()
    for above, line in itertools.pairwise(lines):
        if ASSIGNMENT.match(line):
            assert above.startswith("# "), f"versions.env: {line} has no comment above it saying why"
    used = {"PULUMI_VERSION", "PULUMI_LANGUAGE_PYTHON_SDK_VERSION", "PULUMI_KUBERNETES_PROVIDER_MODULE_VERSION"}
    used |= {"PULUMI_KUBERNETES_VERSION", "ETCD_VERSION", "KUBERNETES_VERSION"}
    assert set(versions()) == used


@pytest.mark.parametrize("wrapper", sorted(expected_requires()))
def test_wrapper_requires_the_pinned_versions(wrapper: str) -> None:
    requires, replaces = go_mod(wrapper)
    for module, version in expected_requires()[wrapper].items():
        assert (requires.get(module), replaces.get(module)) == (version, None), (
            f"e2e/toolchain/{wrapper}/go.mod: {module} is {requires.get(module)} (replaced by "
            f"{replaces.get(module)}), versions.env pins {version}"
        )


def test_kube_apiserver_staging_modules_are_the_pinned_release() -> None:
    """k8s.io/kubernetes requires its staging modules at v0.0.0; each must be replaced by v0.<minor>.<patch>."""
    staging = "v0." + versions()["KUBERNETES_VERSION"].removeprefix("v1.")
    requires, replaces = go_mod("kube-apiserver")
    at_zero = (module for module, version in requires.items() if version == "v0.0.0")
    unreplaced = sorted(module for module in at_zero if module not in replaces)
    assert not unreplaced, f"kube-apiserver/go.mod: {unreplaced} are required at v0.0.0 with no replace"
    wrong = {module: version for module, version in replaces.items() if version != staging}
    assert not wrong, f"kube-apiserver/go.mod: these staging modules are not at {staging}: {wrong}"
