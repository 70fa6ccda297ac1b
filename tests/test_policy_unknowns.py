"""A check that a value unknown at preview blinds: advisory outside production, mandatory under the production
config, and the message names the policy, the resource and the property path."""

from __future__ import annotations

from typing import Any

import pytest
from test_policy_support import (
    ADVISORY,
    MANDATORY,
    UNKNOWN,
    edited,
    findings,
    is_spinnaker_patch,
    of_type,
    one,
    planned,
    preview,
    production_config,
    rules,
    sidecar_lists,
    with_extra_sidecars_pinned,
)

from tools.offline import ProgramRun

RESOURCE_UNKNOWNS = "resource-checks-see-known-values"
STACK_UNKNOWNS = "stack-checks-see-known-values"
LEVELS = [(None, ADVISORY), ("production", MANDATORY)]


def config_of(name: str | None) -> Any:
    return production_config() if name else None


@pytest.mark.parametrize("config, level", LEVELS)
def test_an_unknown_trust_policy(stack_runs: dict[str, ProgramRun], config: str | None, level: str) -> None:
    resources = edited(
        planned(stack_runs["staging"]), of_type(rules.ROLE), lambda p: p.update(assumeRolePolicy=UNKNOWN)
    )
    found = preview(resources, config_of(config))
    messages = [d.message for d in found if d.policy == RESOURCE_UNKNOWNS]
    assert {d.level for d in found if d.policy == RESOURCE_UNKNOWNS} == {level}, found
    for policy in ("irsa-trust-single-service-account", "pod-identity-trust-only"):
        (message,) = [m for m in messages if policy in m]
        assert "aws:iam/role:Role 'spinnaker-ecr-access-role'" in message and "assumeRolePolicy" in message
    assert not [d for d in found if "can't run" in d.message], "pulumi_policy's own advisory note is not needed"


@pytest.mark.parametrize("config, level", LEVELS)
def test_an_unknown_sidecar_image(stack_runs: dict[str, ProgramRun], config: str | None, level: str) -> None:
    def change(props: dict[str, Any]) -> None:
        sidecar_lists(props)["spin-clouddriver"][0]["dockerImage"] = UNKNOWN

    found = preview(edited(planned(stack_runs["prod"]), is_spinnaker_patch, change), config_of(config))
    unknown = [d for d in found if d.policy == RESOURCE_UNKNOWNS]
    assert unknown and {d.level for d in unknown} == {level}, found
    path = "spec.spinnakerConfig.config.deploymentEnvironment.sidecars.spin-clouddriver[0].dockerImage"
    pinned = [d for d in unknown if "token-refresh-image-pinned-by-digest" in d.message]
    assert len(pinned) == 1 and path in pinned[0].message, unknown
    assert "'spinnaker-ecr-spinnaker-patch'" in pinned[0].message


@pytest.mark.parametrize("computed_from", [["config-map"], [], ["role", "config-map"]])
@pytest.mark.parametrize("config, level", LEVELS)
def test_an_unknown_binding_not_computed_from_the_stack_role(
    stack_runs: dict[str, ProgramRun], config: str | None, level: str, computed_from: list[str]
) -> None:
    """The annotation is unknown and computed from something else than the stack's role alone: nothing to
    compare."""
    resources = planned(stack_runs["staging"])
    (patch,) = [r for r in resources if r.type == "kubernetes:core/v1:ServiceAccountPatch"]
    urns = {
        "config-map": next(r for r in resources if r.type == rules.CONFIG_MAP).urn,
        "role": next(r for r in resources if r.type == rules.ROLE).urn,
    }
    for props in (patch.inputs, patch.outputs):
        props["metadata"]["annotations"][rules.IRSA_ROLE_ANNOTATION] = UNKNOWN
    patch.dependencies = [urns[name] for name in computed_from]
    found = one(preview(resources, config_of(config)), STACK_UNKNOWNS, level)
    assert "workload-identity-names-the-stack-role" in found.message
    assert "metadata.annotations.eks.amazonaws.com/role-arn" in found.message
    assert "'spinnaker-ecr-clouddriver-sa-patch'" in found.message
    assert ("computed from no resource" in found.message) is (computed_from == [])


def test_property_dependencies_decide_over_all_dependencies(stack_runs: dict[str, ProgramRun]) -> None:
    """depends_on adds to `dependencies` only: the engine's propertyDependencies say where the value came from."""
    resources = with_extra_sidecars_pinned(planned(stack_runs["prod"]))
    role = next(r for r in resources if r.type == rules.ROLE)
    other = next(r for r in resources if r.type == rules.CONFIG_MAP)
    (association,) = [r for r in resources if r.type == rules.POD_IDENTITY_ASSOCIATION]
    for props in (association.inputs, association.outputs):
        props["roleArn"] = UNKNOWN
    association.property_dependencies = {"roleArn": [other.urn]}
    assert association.dependencies == [role.urn]
    found = one(preview(resources, production_config()), STACK_UNKNOWNS, MANDATORY, "roleArn")
    assert "'spinnaker-ecr-access-pod-identity'" in found.message
    association.property_dependencies = {"roleArn": [role.urn]}
    assert preview(resources, production_config()) == []


def test_an_unknown_in_a_stack_check_is_reported_against_its_resource(stack_runs: dict[str, ProgramRun]) -> None:
    resources = edited(
        planned(stack_runs["staging"]), of_type(rules.ROLE), lambda p: p.update(assumeRolePolicy=UNKNOWN)
    )
    role = next(r for r in resources if r.type == rules.ROLE)
    found = one(preview(resources), STACK_UNKNOWNS, ADVISORY, "no-legacy-image-with-workload-identity")
    assert found.urn == role.urn and "assumeRolePolicy is not known" in found.message


def test_an_unknown_config_yaml_is_reported_against_the_config_map(stack_runs: dict[str, ProgramRun]) -> None:
    """The role sorts before the ConfigMap: the finding still names the resource whose value is unknown."""
    resources = planned(stack_runs["staging"])
    config_map = next(r for r in resources if r.type == rules.CONFIG_MAP)
    config_map.outputs["data"]["config.yaml"] = UNKNOWN
    found = findings(preview(resources), STACK_UNKNOWNS)
    assert found and {d.urn for d in found} == {config_map.urn}, found


def test_what_a_rule_could_not_check_is_marked_unknown() -> None:
    role = rules.Resource(rules.ROLE, {"assumeRolePolicy": rules.UNKNOWN}, "urn:role", "role")
    for policy in rules.POLICIES:
        if policy.rule is None:
            continue
        if policy.scope is rules.Scope.RESOURCE:
            outcome = rules.evaluate_resource(policy, role)
        else:
            outcome = rules.evaluate_stack(policy, [role])
        assert all(v.unknown for v in outcome.unknowns) and not any(v.unknown for v in outcome.violations)


def test_an_unknown_value_no_rule_reads_is_no_finding(stack_runs: dict[str, ProgramRun]) -> None:
    resources = edited(planned(stack_runs["prod"]), of_type(rules.ROLE), lambda p: p.update(description=UNKNOWN))
    found = preview(resources, production_config())
    assert [d for d in found if d.policy in (RESOURCE_UNKNOWNS, STACK_UNKNOWNS)] == [], found
