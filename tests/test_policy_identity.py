"""Who clouddriver runs as: every Pod Identity association and IRSA annotation names the stack's own role (or, with
no role in the stack, one configured role), and an IRSA trust trusts one OIDC provider."""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_policy_support import (
    MANDATORY,
    UNKNOWN,
    Planned,
    added,
    edited,
    findings,
    of_type,
    one,
    planned,
    planned_prod,
    preview,
    production_config,
    rules,
)

from tools.offline import ProgramRun, run_program
from tools.stack_files import stack_config

BINDING = "workload-identity-names-the-stack-role"
IRSA_TRUST = "irsa-trust-single-service-account"
OTHER_ROLE = "arn:aws:iam::999988887777:role/admin"
EXISTING_ROLE = "arn:aws:iam::444455556666:role/security/spinnaker-ecr-pull"
SA_PATCH = "kubernetes:core/v1:ServiceAccountPatch"
SA = "kubernetes:core/v1:ServiceAccount"


# --- Pod Identity associations ----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["roleArn", "targetRoleArn"])
def test_an_association_naming_another_role_is_refused(stack_runs: dict[str, ProgramRun], key: str) -> None:
    association = rules.POD_IDENTITY_ASSOCIATION
    resources = edited(planned_prod(stack_runs), of_type(association), lambda p: p.update({key: OTHER_ROLE}))
    found = one(preview(resources), BINDING, MANDATORY, key, OTHER_ROLE, "'spinnaker-ecr-access-pod-identity'")
    assert found.urn.endswith("::spinnaker-ecr-access-pod-identity")


def test_every_binding_is_checked(stack_runs: dict[str, ProgramRun]) -> None:
    association = rules.POD_IDENTITY_ASSOCIATION
    change = {"roleArn": OTHER_ROLE, "targetRoleArn": OTHER_ROLE}
    resources = edited(planned_prod(stack_runs), of_type(association), lambda p: p.update(change))
    assert [d.message.rsplit("\n", 1)[1].split(" of ")[0] for d in findings(preview(resources), BINDING)] == [
        "roleArn",
        "targetRoleArn",
    ]


def test_a_binding_after_one_traced_to_the_role_is_checked(stack_runs: dict[str, ProgramRun]) -> None:
    """roleArn is unknown and computed from the role (it passes), targetRoleArn names another role."""
    association = rules.POD_IDENTITY_ASSOCIATION
    change = {"roleArn": UNKNOWN, "targetRoleArn": OTHER_ROLE}
    resources = edited(planned_prod(stack_runs), of_type(association), lambda p: p.update(change))
    one(preview(resources), BINDING, MANDATORY, "targetRoleArn")


def test_a_known_binding_traced_to_a_role_whose_arn_is_unknown_passes(stack_runs: dict[str, ProgramRun]) -> None:
    """The engine resolved the association's value from the role's inputs while the role's own ARN output is still
    unknown: the value is computed from the role alone, so it is the role's."""
    resources = planned_prod(stack_runs)
    for resource in resources:
        if resource.type == rules.ROLE:
            resource.outputs["arn"] = UNKNOWN
    assert findings(preview(resources, production_config()), BINDING) == []


def test_a_second_association_is_refused(stack_runs: dict[str, ProgramRun]) -> None:
    resources = planned_prod(stack_runs)
    (association,) = [r for r in resources if r.type == rules.POD_IDENTITY_ASSOCIATION]
    props = {**association.inputs, "serviceAccount": "default"}
    found = preview(added(resources, rules.POD_IDENTITY_ASSOCIATION, "second", props))
    one(found, BINDING, MANDATORY, "2 Pod Identity associations", "at most one")


def test_a_second_role_is_refused(stack_runs: dict[str, ProgramRun]) -> None:
    resources = planned_prod(stack_runs)
    role = next(r for r in resources if r.type == rules.ROLE)
    second = {**role.outputs, "arn": OTHER_ROLE, "name": "admin"}
    found = preview(added(resources, rules.ROLE, "second-role", second))
    one(found, BINDING, MANDATORY, "2 IAM roles (spinnaker-ecr-access-role, second-role)")


# --- IRSA annotations -------------------------------------------------------------------------------------------


def annotate(arn: str) -> Any:
    def change(props: dict[str, Any]) -> None:
        props["metadata"]["annotations"][rules.IRSA_ROLE_ANNOTATION] = arn

    return change


def test_an_annotation_patch_naming_another_role_is_refused(stack_runs: dict[str, ProgramRun]) -> None:
    resources = edited(planned(stack_runs["staging"]), of_type(SA_PATCH), annotate(OTHER_ROLE))
    found = one(preview(resources), BINDING, MANDATORY)
    own = next(r for r in resources if r.type == rules.ROLE).outputs["arn"]
    assert found.message.endswith(
        "\nmetadata.annotations.eks.amazonaws.com/role-arn of kubernetes:core/v1:ServiceAccountPatch "
        f"'spinnaker-ecr-clouddriver-sa-patch': '{OTHER_ROLE}' is not this stack's role {own}; clouddriver would run "
        "as another role"
    )


def test_a_created_service_account_naming_another_role_is_refused() -> None:
    config = stack_config("staging")
    config["spinnaker-ecr:access"]["serviceAccount"]["create"] = True
    resources = edited(planned(run_program(config, "staging")), of_type(SA), annotate(OTHER_ROLE))
    one(preview(resources), BINDING, MANDATORY, OTHER_ROLE, "'spinnaker-ecr-clouddriver-sa'")


def test_an_annotation_on_another_service_account_is_checked_too(stack_runs: dict[str, ProgramRun]) -> None:
    props = {"metadata": {"name": "default", "annotations": {rules.IRSA_ROLE_ANNOTATION: OTHER_ROLE}}}
    found = preview(added(planned(stack_runs["staging"]), SA_PATCH, "default-sa", props))
    one(found, BINDING, MANDATORY, OTHER_ROLE, "'default-sa'")


# --- no role in the stack: the coming existing-role mode ----------------------------------------------------------


def existing_role(stack_runs: dict[str, ProgramRun], arn: str = EXISTING_ROLE) -> list[Planned]:
    """staging as `access.mode: existing-role` will register it: no AWS resource, the annotation names a role another
    team manages."""
    resources = [r for r in planned(stack_runs["staging"]) if not r.type.startswith("aws:")]
    for resource in resources:
        resource.dependencies = []
    return edited(resources, of_type(SA_PATCH), annotate(arn))


def test_without_a_role_one_configured_role_passes(stack_runs: dict[str, ProgramRun]) -> None:
    assert [d for d in preview(existing_role(stack_runs)) if d.level == MANDATORY] == []


def test_without_a_role_two_different_roles_are_refused(stack_runs: dict[str, ProgramRun]) -> None:
    props = {"metadata": {"name": "other", "annotations": {rules.IRSA_ROLE_ANNOTATION: OTHER_ROLE}}}
    found = preview(added(existing_role(stack_runs), SA_PATCH, "other-sa", props))
    assert one(found, BINDING, MANDATORY, "2 different roles", EXISTING_ROLE, OTHER_ROLE).urn.endswith("::other-sa")


def test_without_a_role_an_unknown_binding_cannot_be_checked(stack_runs: dict[str, ProgramRun]) -> None:
    found = preview(existing_role(stack_runs, UNKNOWN), production_config())
    assert findings(found, BINDING) == []
    one(found, "stack-checks-see-known-values", MANDATORY, "nothing to trace it to")


@pytest.mark.parametrize(
    "arn", ["arn:aws:iam::444455556666:user/ci", "arn:aws:iam::*:role/x", "admin", "arn:aws:iam::444455556666:role/"]
)
def test_without_a_role_the_annotation_must_be_a_role_arn(stack_runs: dict[str, ProgramRun], arn: str) -> None:
    one(preview(existing_role(stack_runs, arn)), BINDING, MANDATORY, "is not an IAM role ARN")


def with_allowed(arns: list[str]) -> dict[str, dict[str, Any]]:
    return {BINDING: {"enforcementLevel": "mandatory", "allowedRoleArns": arns}}


def test_allowed_role_arns_from_the_policy_config_decide(stack_runs: dict[str, ProgramRun]) -> None:
    assert findings(preview(existing_role(stack_runs), with_allowed([EXISTING_ROLE])), BINDING) == []
    found = preview(existing_role(stack_runs), with_allowed([OTHER_ROLE]))
    one(found, BINDING, MANDATORY, EXISTING_ROLE, "allowedRoleArns")


def test_allowed_role_arns_must_be_a_list(stack_runs: dict[str, ProgramRun]) -> None:
    config = {BINDING: {"enforcementLevel": "mandatory", "allowedRoleArns": EXISTING_ROLE}}
    found = findings(preview(existing_role(stack_runs), config), BINDING)
    assert any("allowedRoleArns" in d.message and "is not a list of role ARNs" in d.message for d in found), found
    assert any(EXISTING_ROLE in d.message and "(listed: none)" in d.message for d in found), found


def test_the_production_config_allows_only_the_stacks_own_role(stack_runs: dict[str, ProgramRun]) -> None:
    """Switching prod to a role another team manages takes a reviewed change of policy/config/production.json first."""
    assert production_config()[BINDING] == {"enforcementLevel": "mandatory", "allowedRoleArns": []}
    one(
        preview(existing_role(stack_runs), production_config()), BINDING, MANDATORY, "allowedRoleArns", "(listed: none)"
    )
    assert preview(planned_prod(stack_runs), production_config()) == []


def test_the_policy_declares_its_config_schema() -> None:
    """The CLI validates --policy-pack-config against it, and refuses properties a policy does not declare."""
    import policies

    (policy,) = [p for p in policies.policies if p.name == BINDING]
    assert policy.config_schema is not None
    assert policy.config_schema.properties["allowedRoleArns"]["type"] == "array"


# --- IRSA trust: one OIDC provider ---------------------------------------------------------------------------------


def test_a_trust_of_two_oidc_providers_is_refused(stack_runs: dict[str, ProgramRun]) -> None:
    """Two clusters, the same namespace and service account name: either cluster's pod could assume the role."""

    def change(props: dict[str, Any]) -> None:
        document = json.loads(props["assumeRolePolicy"])
        second = json.loads(json.dumps(document["Statement"][0]).replace("5C1F0E2B8A7D4E3FB1A2C3D4E5F60718", "OTHER"))
        document["Statement"].append(second)
        props["assumeRolePolicy"] = json.dumps(document)

    found = preview(edited(planned(stack_runs["staging"]), of_type(rules.ROLE), change))
    one(found, IRSA_TRUST, MANDATORY, "2 OIDC providers", "/id/OTHER", "/id/5C1F0E2B8A7D4E3FB1A2C3D4E5F60718")
