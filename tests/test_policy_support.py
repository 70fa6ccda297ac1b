"""Shared by the policy pack's tests (tests/test_policy*.py); it holds no tests of its own.

The pack is imported as the Pulumi CLI runs it: from policy/, its modules top-level. `preview` drives the pack through
pulumi_policy's own analyzer the way the engine does during a preview: `Analyze` on each resource's inputs, then
`AnalyzeStack` on every resource's outputs with its dependencies.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi.runtime import proto
from pulumi_policy import EnforcementLevel
from pulumi_policy.policy import _PolicyAnalyzerServicer

from tools.environments import production_in
from tools.offline import ProgramRun
from tools.stack_files import STACKS_DIR

POLICY_DIR = Path(__file__).resolve().parent.parent / "policy"
# The workflows pass this file to the pack on production stacks (tests/test_workflows.py checks which ones).
PRODUCTION_CONFIG = POLICY_DIR / "config" / "production.json"
PRODUCTION_STACKS = sorted(production_in(STACKS_DIR))
# The CLI runs the pack from policy/, where its modules are top-level ones.
sys.path.insert(0, str(POLICY_DIR))
import policies  # noqa: E402
import rules  # noqa: E402, F401  (the tests import it from here)

DIGEST = "sha256:" + "ab" * 32
LEGACY_IMAGE = "quay.io/skuid/ecr-token-refresh:latest"
# The engine's wire sentinel for an unknown string, as pulumi_policy reads it.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
MANDATORY = "mandatory"
ADVISORY = "advisory"


@dataclass
class Planned:
    """One resource as the engine hands it to the analyzer: inputs for Analyze, outputs and dependencies for
    AnalyzeStack."""

    type: str
    name: str
    urn: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)


def planned(run: ProgramRun) -> list[Planned]:
    return [
        Planned(r.type, r.name, r.urn, copy.deepcopy(r.inputs), copy.deepcopy(r.outputs), list(r.dependencies))
        for r in run.resources
    ]


def edited(
    resources: Iterable[Planned], predicate: Callable[[Planned], bool], change: Callable[[dict[str, Any]], None]
) -> list[Planned]:
    """A copy of `resources` where `change` was applied to the inputs and the outputs of each matching resource."""
    result = []
    for resource in resources:
        resource = copy.deepcopy(resource)
        if predicate(resource):
            change(resource.inputs)
            change(resource.outputs)
        result.append(resource)
    return result


def of_type(type_token: str) -> Callable[[Planned], bool]:
    return lambda resource: resource.type == type_token


def is_spinnaker_patch(resource: Planned) -> bool:
    return resource.type.endswith(":SpinnakerServicePatch") and resource.type.startswith("kubernetes:")


def added(resources: Iterable[Planned], type_token: str, name: str, props: Mapping[str, Any]) -> list[Planned]:
    urn = f"urn:pulumi:test::spinnaker-ecr::{type_token}::{name}"
    return [*copy.deepcopy(list(resources)), Planned(type_token, name, urn, dict(props), dict(props))]


def spinnaker_config(props: Mapping[str, Any]) -> dict[str, Any]:
    return props["spec"]["spinnakerConfig"]


def accounts(props: Mapping[str, Any], profile: str = "clouddriver") -> list[dict[str, Any]]:
    return spinnaker_config(props)["profiles"][profile]["dockerRegistry"]["accounts"]


def sidecar_lists(props: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return spinnaker_config(props)["config"]["deploymentEnvironment"]["sidecars"]


# --- pulumi_policy's analyzer -------------------------------------------------------------------------------------


def read_policy_pack_config(path: Path) -> dict[str, dict[str, Any]]:
    """A --policy-pack-config file as the Pulumi CLI reads it: name -> level, or name -> {"enforcementLevel": level,
    ...properties}; returned as name -> {"enforcementLevel": level, ...properties}."""
    config = {}
    for name, value in json.loads(path.read_text()).items():
        entry = {"enforcementLevel": value} if isinstance(value, str) else dict(value)
        level = entry.get("enforcementLevel")
        assert level in ("advisory", "mandatory", "disabled", "remediate"), f"{path.name}: {name}: {value!r}"
        config[name] = entry
    return config


def production_config() -> dict[str, dict[str, Any]]:
    return read_policy_pack_config(PRODUCTION_CONFIG)


def configured_analyzer(config: Mapping[str, Mapping[str, Any]] | None = None) -> Any:
    """pulumi_policy's analyzer for this pack after the CLI's Configure call with this policy config."""
    analyzer = _PolicyAnalyzerServicer(policies.PACK_NAME, "0.1.0", policies.policies, EnforcementLevel.ADVISORY)
    request = proto.ConfigureAnalyzerRequest()
    for name, entry in (config or {}).items():
        properties = {key: value for key, value in entry.items() if key != "enforcementLevel"}
        request.policyConfig[name].enforcementLevel = proto.EnforcementLevel.Value(entry["enforcementLevel"].upper())
        request.policyConfig[name].properties.update(properties)
    analyzer.Configure(request, None)
    return analyzer


@dataclass(frozen=True)
class Diagnostic:
    policy: str
    level: str
    message: str
    urn: str

    def __str__(self) -> str:
        return f"[{self.level}] {self.policy}: {self.message}"


def _diagnostics(response: Any) -> list[Diagnostic]:
    return [
        Diagnostic(d.policyName, proto.EnforcementLevel.Name(d.enforcementLevel).lower(), d.message, d.urn)
        for d in response.diagnostics
    ]


def analyze(analyzer: Any, resource: Planned) -> list[Diagnostic]:
    request = proto.AnalyzeRequest(type=resource.type, urn=resource.urn, name=resource.name)
    request.properties.update(copy.deepcopy(resource.inputs))
    return _diagnostics(analyzer.Analyze(request, None))


def analyze_stack(analyzer: Any, resources: Iterable[Planned]) -> list[Diagnostic]:
    request = proto.AnalyzeStackRequest()
    for resource in resources:
        entry = request.resources.add(type=resource.type, urn=resource.urn, name=resource.name)
        entry.properties.update(copy.deepcopy(resource.outputs))
        entry.dependencies.extend(resource.dependencies)
        for key, urns in resource.property_dependencies.items():
            entry.propertyDependencies[key].urns.extend(urns)
    return _diagnostics(analyzer.AnalyzeStack(request, None))


def preview(resources: Iterable[Planned], config: Mapping[str, Mapping[str, Any]] | None = None) -> list[Diagnostic]:
    """Every diagnostic of a preview of these resources, resource policies first, as the engine runs them."""
    resources = list(resources)
    analyzer = configured_analyzer(config)
    found = [d for resource in resources for d in analyze(analyzer, resource)]
    return found + analyze_stack(analyzer, resources)


def findings(diagnostics: Iterable[Diagnostic], policy: str) -> list[Diagnostic]:
    return [d for d in diagnostics if d.policy == policy]


def one(diagnostics: Iterable[Diagnostic], policy: str, level: str, *fragments: str) -> Diagnostic:
    """The single diagnostic of `policy`: at `level`, its message carrying every fragment."""
    diagnostics = list(diagnostics)
    matching = findings(diagnostics, policy)
    assert len(matching) == 1, "\n".join(map(str, diagnostics))
    (found,) = matching
    assert found.level == level, str(found)
    for fragment in fragments:
        assert fragment in found.message, str(found)
    return found


def mandatory(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.level == MANDATORY]


def with_extra_sidecars_pinned(resources: Iterable[Planned]) -> list[Planned]:
    """prod's `log-shipper` runs by tag (a true positive under the production config): pinned here, so a test
    under that config sees only what it is about."""

    def pin(props: dict[str, Any]) -> None:
        for sidecars in sidecar_lists(props).values():
            for sidecar in sidecars:
                if sidecar.get("name") != "token-refresh" and "@sha256:" not in sidecar["dockerImage"]:
                    sidecar["dockerImage"] = sidecar["dockerImage"].rsplit(":", 1)[0] + "@" + DIGEST

    return edited(resources, is_spinnaker_patch, pin)


def planned_prod(stack_runs: Mapping[str, ProgramRun]) -> list[Planned]:
    """The prod stack as a preview plans it, extra sidecars pinned."""
    return with_extra_sidecars_pinned(planned(stack_runs["prod"]))
