"""The policy pack (policy/): every rule against what the program registers for each stack in stacks/ (no
violations), and against broken copies of those resources or of the stack config (each caught, with its message)."""

import copy
import json
import re
import runpy
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pulumi_aws
import pulumi_policy
import pytest
import yaml
from pulumi.runtime import proto
from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy
from test_policy_support import (
    DIGEST,
    POLICY_DIR,
    PRODUCTION_CONFIG,
    PRODUCTION_STACKS,
    configured_analyzer,
    policies,
    production_config,
    read_policy_pack_config,
    rules,
)

from components.model import REFRESH_METHODS as TOKEN_REFRESH_METHODS
from tools.offline import ProgramRun, Registered, run_program
from tools.stack_files import stack_config, stack_names

STACKS = stack_names()
ROLE = rules.ROLE
ATTACHMENT = rules.ROLE_POLICY_ATTACHMENT
CONFIG_MAP = rules.CONFIG_MAP
LEGACY_IMAGE = "quay.io/skuid/ecr-token-refresh:latest"

ResourceRule = Callable[[str, Mapping[str, Any]], list[str]]
MANDATORY_RULES: dict[str, ResourceRule] = {
    "ecr-read-only-managed-policy": rules.ecr_read_only_only,
    "irsa-trust-single-service-account": rules.irsa_trust_scoped,
    "pod-identity-trust-only": rules.pod_identity_trust_only,
    "password-files-under-shared-mount": rules.password_files_under_mount,
}
ADVISORY_RULES: dict[str, ResourceRule] = {
    "token-refresh-image-pinned-by-digest": rules.token_refresh_image_pinned,
    "refresh-interval-under-12h": rules.refresh_interval_under_token_lifetime,
}
STACK_RULES = {"no-legacy-image-with-workload-identity": rules.no_legacy_image_with_workload_identity}


# --- helpers ------------------------------------------------------------------------------------------------------


def of_type(run: ProgramRun, predicate: Callable[[str], bool]) -> list[Registered]:
    return [r for r in run.resources if predicate(r.type)]


def spinnaker_patch(run: ProgramRun) -> Registered:
    (patch,) = of_type(run, rules.is_spinnaker_service)
    return patch


def role(run: ProgramRun) -> Registered:
    return run.one(ROLE)


def trust(run: ProgramRun) -> dict[str, Any]:
    return json.loads(role(run).inputs["assumeRolePolicy"])


def with_trust(document: Mapping[str, Any]) -> dict[str, Any]:
    return {"assumeRolePolicy": json.dumps(document)}


def spinnaker_config(props: Mapping[str, Any]) -> dict[str, Any]:
    return props["spec"]["spinnakerConfig"]


def accounts(props: Mapping[str, Any]) -> list[dict[str, Any]]:
    return spinnaker_config(props)["profiles"]["clouddriver"]["dockerRegistry"]["accounts"]


def token_refresh_sidecar(props: Mapping[str, Any]) -> dict[str, Any]:
    ((_, sidecar),) = rules.token_refresh_sidecars(props)
    return sidecar  # type: ignore[return-value]


def stack_resources(run: ProgramRun) -> list[rules.Resource]:
    return [rules.Resource(r.type, r.inputs, r.urn, r.name) for r in run.resources]


def all_findings(run: ProgramRun, rule_set: Mapping[str, ResourceRule]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for resource in run.resources:
        for name, rule in rule_set.items():
            found.setdefault(name, []).extend(rule(resource.type, resource.inputs))
    return found


def one_finding(messages: list[str], *fragments: str) -> str:
    assert len(messages) == 1, messages
    for fragment in fragments:
        assert fragment in messages[0], messages[0]
    return messages[0]


def with_stack_config(stack: str, namespace_key: str, **changes: Any) -> dict[str, Any]:
    config = copy.deepcopy(stack_config(stack))
    config[namespace_key] = {**config.get(namespace_key, {}), **changes}
    return config


@pytest.fixture(scope="module")
def staging(stack_runs: dict[str, ProgramRun]) -> ProgramRun:
    return stack_runs["staging"]


@pytest.fixture(scope="module")
def prod(stack_runs: dict[str, ProgramRun]) -> ProgramRun:
    return stack_runs["prod"]


@pytest.fixture(scope="module")
def dev(stack_runs: dict[str, ProgramRun]) -> ProgramRun:
    return stack_runs["dev"]


# --- what the program registers passes ------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_passes_the_mandatory_rules(stack: str, stack_runs: dict[str, ProgramRun]) -> None:
    run = stack_runs[stack]
    assert all_findings(run, MANDATORY_RULES) == {name: [] for name in MANDATORY_RULES}
    assert rules.no_legacy_image_with_workload_identity(stack_resources(run)) == []


@pytest.mark.parametrize("stack", PRODUCTION_STACKS)
def test_production_stacks_also_pass_the_advisory_rules(stack: str, stack_runs: dict[str, ProgramRun]) -> None:
    assert all_findings(stack_runs[stack], ADVISORY_RULES) == {name: [] for name in ADVISORY_RULES}


@pytest.mark.parametrize("stack", STACKS)
def test_the_digest_rule_flags_exactly_the_stacks_whose_image_has_no_digest(
    stack: str, stack_runs: dict[str, ProgramRun]
) -> None:
    image = stack_config(stack)["spinnaker-ecr:tokenRefresh"].get("image", "")
    findings = all_findings(stack_runs[stack], ADVISORY_RULES)["token-refresh-image-pinned-by-digest"]
    if "@sha256:" in image:
        assert findings == []
    else:
        one_finding(findings, image, "not pinned by digest")


def test_the_stacks_exercise_every_shape_the_rules_check(stack_runs: dict[str, ProgramRun]) -> None:
    """Guards the tests above against passing vacuously."""
    types = {r.type for run in stack_runs.values() for r in run.resources}
    assert {ROLE, ATTACHMENT, CONFIG_MAP, rules.POD_IDENTITY_ASSOCIATION} <= types
    trusts = [json.loads(r.inputs["assumeRolePolicy"]) for run in stack_runs.values() for r in run.of_type(ROLE)]
    principals = {key for t in trusts for s in t["Statement"] for key in s["Principal"]}
    assert principals == {"Federated", "Service"}
    assert all(rules.token_refresh_sidecars(spinnaker_patch(run).inputs) for run in stack_runs.values())


# --- ecr-read-only-managed-policy ---------------------------------------------------------------------------------


@pytest.mark.parametrize("partition", ["aws", "aws-cn", "aws-us-gov"])
def test_the_ecr_read_only_policy_is_accepted_in_any_partition(partition: str) -> None:
    arn = f"arn:{partition}:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"
    assert rules.ecr_read_only_only(ATTACHMENT, {"policyArn": arn, "role": "r"}) == []


def test_another_managed_policy_on_the_attachment_is_caught(dev: ProgramRun) -> None:
    props = copy.deepcopy(dev.one(ATTACHMENT).inputs)
    props["policyArn"] = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser"
    one_finding(rules.ecr_read_only_only(ATTACHMENT, props), "policyArn", "AmazonEC2ContainerRegistryPowerUser")


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "arn:aws:iam::111122223333:policy/AmazonEC2ContainerRegistryReadOnly",
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly-copy",
    ],
)
def test_look_alike_arns_are_caught(arn: str) -> None:
    one_finding(rules.ecr_read_only_only(rules.POLICY_ATTACHMENT, {"policyArn": arn}), arn)


def test_managed_and_inline_policies_on_the_role_are_caught(staging: ProgramRun) -> None:
    props = copy.deepcopy(role(staging).inputs)
    props["managedPolicyArns"] = ["arn:aws:iam::aws:policy/AmazonS3FullAccess"]
    props["inlinePolicies"] = [{"name": "extra", "policy": '{"Statement": []}'}, {"name": "", "policy": ""}]
    messages = rules.ecr_read_only_only(ROLE, props)
    assert len(messages) == 2, messages
    assert "managedPolicyArns[0]" in messages[0] and "AmazonS3FullAccess" in messages[0]
    assert "inlinePolicies[0] 'extra'" in messages[1]


def test_an_inline_role_policy_is_caught() -> None:
    one_finding(rules.ecr_read_only_only(rules.ROLE_POLICY, {"name": "ecr-push", "policy": "{}"}), "ecr-push")


def test_exclusive_attachments_list_only_the_ecr_policy() -> None:
    props = {"policyArns": ["arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly", "arn:aws:iam::aws:policy/x"]}
    one_finding(rules.ecr_read_only_only(rules.ROLE_POLICY_ATTACHMENTS_EXCLUSIVE, props), "policyArns[1]")


ECR_READ_ONLY_ARN = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"
ADMINISTRATOR_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
PULUMI_AWS_IAM = Path(pulumi_aws.__file__).parent / "iam"


def iam(resource: str) -> str:
    """`UserPolicy` -> `aws:iam/userPolicy:UserPolicy`, the type token pulumi-aws registers."""
    return f"aws:iam/{resource[0].lower()}{resource[1:]}:{resource}"


# Every pulumi-aws type that attaches a policy or keeps an inline one, broken: (type, inputs, what the message names).
BROKEN_GRANTS = [
    (iam("RolePolicyAttachment"), {"role": "r", "policyArn": ADMINISTRATOR_ARN}, "policyArn"),
    (iam("UserPolicyAttachment"), {"user": "u", "policyArn": ADMINISTRATOR_ARN}, "policyArn"),
    (iam("GroupPolicyAttachment"), {"group": "g", "policyArn": ADMINISTRATOR_ARN}, "policyArn"),
    (iam("PolicyAttachment"), {"name": "a", "users": ["u"], "policyArn": ADMINISTRATOR_ARN}, "policyArn"),
    (iam("RolePolicyAttachmentsExclusive"), {"roleName": "r", "policyArns": [ADMINISTRATOR_ARN]}, "policyArns[0]"),
    (iam("UserPolicyAttachmentsExclusive"), {"userName": "u", "policyArns": [ADMINISTRATOR_ARN]}, "policyArns[0]"),
    (iam("GroupPolicyAttachmentsExclusive"), {"groupName": "g", "policyArns": [ADMINISTRATOR_ARN]}, "policyArns[0]"),
    (iam("RolePolicy"), {"role": "r", "name": "extra", "policy": "{}"}, "RolePolicy 'extra'"),
    (iam("UserPolicy"), {"user": "u", "name": "extra", "policy": "{}"}, "UserPolicy 'extra'"),
    (iam("GroupPolicy"), {"group": "g", "name": "extra", "policy": "{}"}, "GroupPolicy 'extra'"),
    (iam("RolePoliciesExclusive"), {"roleName": "r", "policyNames": ["extra"]}, "policyNames[0] 'extra'"),
    (iam("UserPoliciesExclusive"), {"userName": "u", "policyNames": ["extra"]}, "policyNames[0] 'extra'"),
    (iam("GroupPoliciesExclusive"), {"groupName": "g", "policyNames": ["extra"]}, "policyNames[0] 'extra'"),
]


def test_every_attachment_and_inline_policy_type_of_pulumi_aws_has_a_broken_variant() -> None:
    """A pulumi-aws upgrade that adds such a type fails here until the rule and BROKEN_GRANTS cover it."""
    tokens = {t for f in PULUMI_AWS_IAM.glob("*.py") for t in re.findall(r"'(aws:iam/[^':]+:[^']+)'", f.read_text())}
    granting = {
        token
        for token in tokens
        if re.search(r"Polic(y|ies)", token.rsplit(":", 1)[1])
        and token not in (iam("Policy"), iam("AccountPasswordPolicy"))
        and not token.startswith("aws:iam/get")
    }
    assert granting == {resource_type for resource_type, _, _ in BROKEN_GRANTS}


@pytest.mark.parametrize(
    "resource_type, props, fragment", BROKEN_GRANTS, ids=[t.rsplit(":", 1)[1] for t, _, _ in BROKEN_GRANTS]
)
def test_every_attachment_and_inline_policy_type_is_caught(
    resource_type: str, props: dict[str, Any], fragment: str
) -> None:
    one_finding(rules.ecr_read_only_only(resource_type, props), fragment)


@pytest.mark.parametrize(
    "resource_type, props",
    [
        (iam("UserPolicyAttachment"), {"user": "u", "policyArn": ECR_READ_ONLY_ARN}),
        (iam("GroupPolicyAttachmentsExclusive"), {"groupName": "g", "policyArns": [ECR_READ_ONLY_ARN]}),
        (iam("RolePoliciesExclusive"), {"roleName": "r", "policyNames": []}),
    ],
    ids=["user-attachment", "group-exclusive-attachments", "no-inline-policies"],
)
def test_the_ecr_policy_and_removing_inline_policies_pass(resource_type: str, props: dict[str, Any]) -> None:
    """An empty policyNames makes the provider remove every inline policy: it grants nothing."""
    assert rules.ecr_read_only_only(resource_type, props) == []


# --- irsa-trust-single-service-account ------------------------------------------------------------------------------


def irsa_statement(staging: ProgramRun) -> tuple[dict[str, Any], str]:
    document = trust(staging)
    provider = document["Statement"][0]["Principal"]["Federated"]
    return document, provider.split(":oidc-provider/", 1)[1]


def test_string_like_instead_of_string_equals_is_caught(staging: ProgramRun) -> None:
    document, issuer = irsa_statement(staging)
    condition = document["Statement"][0]["Condition"]
    condition["StringLike"] = {f"{issuer}:sub": condition["StringEquals"].pop(f"{issuer}:sub")}
    messages = rules.irsa_trust_scoped(ROLE, with_trust(document))
    assert any(f"StringLike.{issuer}:sub: use StringEquals" in m for m in messages), messages
    assert any(f"needs '{issuer}:sub'" in m for m in messages), messages


def test_a_missing_audience_condition_is_caught(staging: ProgramRun) -> None:
    document, issuer = irsa_statement(staging)
    del document["Statement"][0]["Condition"]["StringEquals"][f"{issuer}:aud"]
    one_finding(rules.irsa_trust_scoped(ROLE, with_trust(document)), f"needs '{issuer}:aud'")


def test_a_wildcard_service_account_is_caught(staging: ProgramRun) -> None:
    document, issuer = irsa_statement(staging)
    document["Statement"][0]["Condition"]["StringEquals"][f"{issuer}:sub"] = "system:serviceaccount:spinnaker:*"
    one_finding(rules.irsa_trust_scoped(ROLE, with_trust(document)), "wildcard")


def test_two_service_accounts_are_caught(staging: ProgramRun) -> None:
    document, issuer = irsa_statement(staging)
    second = copy.deepcopy(document["Statement"][0])
    second["Condition"]["StringEquals"][f"{issuer}:sub"] = "system:serviceaccount:default:other"
    document["Statement"].append(second)
    one_finding(rules.irsa_trust_scoped(ROLE, with_trust(document)), "trusts 2 service accounts", "default:other")
    listed, _ = irsa_statement(staging)
    subject = listed["Statement"][0]["Condition"]["StringEquals"][f"{issuer}:sub"]
    listed["Statement"][0]["Condition"]["StringEquals"][f"{issuer}:sub"] = [subject, "system:serviceaccount:a:b"]
    one_finding(rules.irsa_trust_scoped(ROLE, with_trust(listed)), f"needs '{issuer}:sub' equal to one")


def test_conditions_on_another_issuer_are_caught(staging: ProgramRun) -> None:
    """Condition keys of another issuer never match this provider's tokens: any service account could assume."""
    document, issuer = irsa_statement(staging)
    equals = document["Statement"][0]["Condition"]["StringEquals"]
    document["Statement"][0]["Condition"]["StringEquals"] = {
        key.replace(issuer, "oidc.eks.eu-west-1.amazonaws.com/id/OTHER"): value for key, value in equals.items()
    }
    messages = rules.irsa_trust_scoped(ROLE, with_trust(document))
    assert [m for m in messages if "the keys must carry the provider's issuer" in m] == messages
    assert len(messages) == 2


def test_a_wider_action_or_a_second_principal_is_caught(staging: ProgramRun) -> None:
    document, _ = irsa_statement(staging)
    document["Statement"][0]["Action"] = ["sts:AssumeRoleWithWebIdentity", "sts:AssumeRole"]
    one_finding(rules.irsa_trust_scoped(ROLE, with_trust(document)), ".Action", "sts:AssumeRole")
    document, _ = irsa_statement(staging)
    document["Statement"][0]["Principal"]["AWS"] = "arn:aws:iam::111122223333:root"
    one_finding(rules.irsa_trust_scoped(ROLE, with_trust(document)), "not a single Federated OIDC provider")


@pytest.mark.parametrize("federated", [[], ["arn:aws:iam::1:oidc-provider/a", "arn:aws:iam::1:oidc-provider/b"]])
def test_a_federated_principal_that_is_not_one_provider_is_caught(staging: ProgramRun, federated: list[str]) -> None:
    document, _ = irsa_statement(staging)
    document["Statement"][0]["Principal"]["Federated"] = federated
    one_finding(rules.irsa_trust_scoped(ROLE, with_trust(document)), "is not a single Federated OIDC provider")


@pytest.mark.parametrize("claim", ["sub", "aud"])
def test_an_empty_claim_is_caught(staging: ProgramRun, claim: str) -> None:
    document, issuer = irsa_statement(staging)
    document["Statement"][0]["Condition"]["StringEquals"][f"{issuer}:{claim}"] = ""
    one_finding(rules.irsa_trust_scoped(ROLE, with_trust(document)), f"needs '{issuer}:{claim}' equal to one")


@pytest.mark.parametrize("key", ["NotPrincipal", "NotAction"])
def test_not_principal_or_not_action_in_an_irsa_trust_is_caught(staging: ProgramRun, key: str) -> None:
    document, _ = irsa_statement(staging)
    document["Statement"][0][key] = "*"
    one_finding(rules.irsa_trust_scoped(ROLE, with_trust(document)), f"{key} is not allowed in an IRSA trust")


def test_a_federated_principal_that_is_not_an_oidc_provider_is_caught(staging: ProgramRun) -> None:
    document, _ = irsa_statement(staging)
    document["Statement"][0]["Principal"]["Federated"] = "arn:aws:iam::444455556666:saml-provider/corp"
    one_finding(rules.irsa_trust_scoped(ROLE, with_trust(document)), "is not an IAM OIDC provider ARN")


def test_no_condition_at_all_is_caught(staging: ProgramRun) -> None:
    document, issuer = irsa_statement(staging)
    del document["Statement"][0]["Condition"]
    messages = rules.irsa_trust_scoped(ROLE, with_trust(document))
    assert len(messages) == 2 and f"'{issuer}:sub'" in messages[0] and f"'{issuer}:aud'" in messages[1], messages


def test_a_trust_that_is_not_json_is_caught() -> None:
    one_finding(rules.irsa_trust_scoped(ROLE, {"assumeRolePolicy": "{not json"}), "is not JSON")


@pytest.mark.parametrize("operator", ["ForAnyValue:StringLike", "ArnLike", "StringNotEquals"])
def test_any_operator_but_string_equals_on_the_subject_is_caught(staging: ProgramRun, operator: str) -> None:
    document, issuer = irsa_statement(staging)
    condition = document["Statement"][0]["Condition"]
    condition[operator] = {f"{issuer}:sub": "system:serviceaccount:*:*"}
    messages = rules.irsa_trust_scoped(ROLE, with_trust(document))
    assert any(f"{operator}.{issuer}:sub: use StringEquals" in m for m in messages), messages


# --- pod-identity-trust-only --------------------------------------------------------------------------------------


def test_another_service_principal_alone_is_caught(prod: ProgramRun) -> None:
    document = trust(prod)
    document["Statement"][0]["Principal"]["Service"] = "ec2.amazonaws.com"
    one_finding(rules.pod_identity_trust_only(ROLE, with_trust(document)), "ec2.amazonaws.com")


def test_a_statement_after_the_irsa_one_is_judged_as_pod_identity(staging: ProgramRun) -> None:
    document, _ = irsa_statement(staging)
    document["Statement"].append({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})
    one_finding(rules.pod_identity_trust_only(ROLE, with_trust(document)), "Statement[1].Principal")


def test_an_irsa_statement_after_the_pod_identity_one_is_judged(prod: ProgramRun, staging: ProgramRun) -> None:
    document = trust(prod)
    irsa, _ = irsa_statement(staging)
    irsa["Statement"][0]["Condition"]["StringEquals"] = {}
    document["Statement"].append(irsa["Statement"][0])
    messages = rules.irsa_trust_scoped(ROLE, with_trust(document))
    assert messages and all("Statement[1]" in m for m in messages), messages


def test_a_federated_principal_with_another_action_is_an_irsa_trust(staging: ProgramRun) -> None:
    """The principal alone makes the statement IRSA's: its action must then be AssumeRoleWithWebIdentity."""
    document, _ = irsa_statement(staging)
    document["Statement"][0]["Action"] = "sts:AssumeRole"
    one_finding(rules.irsa_trust_scoped(ROLE, with_trust(document)), ".Action", "'sts:AssumeRole' is not only")
    assert rules.pod_identity_trust_only(ROLE, with_trust(document)) == []


def test_another_service_principal_is_caught(prod: ProgramRun) -> None:
    document = trust(prod)
    document["Statement"][0]["Principal"]["Service"] = ["pods.eks.amazonaws.com", "ec2.amazonaws.com"]
    one_finding(rules.pod_identity_trust_only(ROLE, with_trust(document)), "ec2.amazonaws.com")


def test_an_extra_statement_for_anyone_is_caught(prod: ProgramRun) -> None:
    document = trust(prod)
    document["Statement"].append({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})
    one_finding(rules.pod_identity_trust_only(ROLE, with_trust(document)), "Statement[1].Principal", '"AWS": "*"')


def test_another_principal_beside_the_service_is_caught(prod: ProgramRun) -> None:
    document = trust(prod)
    document["Statement"][0]["Principal"]["AWS"] = "*"
    one_finding(rules.pod_identity_trust_only(ROLE, with_trust(document)), "Statement[0].Principal", '"AWS": "*"')


def test_a_wider_pod_identity_action_is_caught(prod: ProgramRun) -> None:
    document = trust(prod)
    document["Statement"][0]["Action"] = "sts:*"
    one_finding(rules.pod_identity_trust_only(ROLE, with_trust(document)), "Statement[0].Action", "sts:*")


def test_not_principal_is_caught(prod: ProgramRun) -> None:
    document = trust(prod)
    document["Statement"][0]["NotPrincipal"] = document["Statement"][0].pop("Principal")
    messages = rules.pod_identity_trust_only(ROLE, with_trust(document))
    assert any("NotPrincipal is not allowed" in m for m in messages), messages


def test_an_action_that_is_not_a_name_is_caught_with_the_rules_message(prod: ProgramRun) -> None:
    document = trust(prod)
    document["Statement"][0]["Action"] = [{"sts": "AssumeRole"}]
    one_finding(rules.pod_identity_trust_only(ROLE, with_trust(document)), "Statement[0].Action", "is not within")


def test_deny_statements_are_not_trust(prod: ProgramRun) -> None:
    document = trust(prod)
    document["Statement"].append({"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})
    # IAM knows Allow and Deny only; a statement with any other Effect allows nothing.
    document["Statement"].append({"Effect": "", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})
    assert rules.pod_identity_trust_only(ROLE, with_trust(document)) == []


# --- no-legacy-image-with-workload-identity ------------------------------------------------------------------------


def with_image(resources: list[rules.Resource], image: str) -> list[rules.Resource]:
    changed = []
    for resource in resources:
        if rules.is_spinnaker_service(resource.type):
            props = copy.deepcopy(dict(resource.props))
            token_refresh_sidecar(props)["dockerImage"] = image
            resource = rules.Resource(resource.type, props, resource.urn, resource.name)
        changed.append(resource)
    return changed


@pytest.mark.parametrize("stack, reason", [("staging", "IRSA trust"), ("prod", "Pod Identity trust")])
def test_the_legacy_image_with_irsa_or_pod_identity_is_caught(
    stack: str, reason: str, stack_runs: dict[str, ProgramRun]
) -> None:
    run = stack_runs[stack]
    (violation,) = rules.no_legacy_image_with_workload_identity(with_image(stack_resources(run), LEGACY_IMAGE))
    assert violation.urn == spinnaker_patch(run).urn
    assert LEGACY_IMAGE in violation.message and reason in violation.message
    assert f"{reason} of role spinnaker-ecr-access-role" in violation.message


def test_the_legacy_image_is_caught_from_the_service_account_annotation_alone(staging: ProgramRun) -> None:
    without_role = [r for r in stack_resources(staging) if r.type != ROLE]
    (violation,) = rules.no_legacy_image_with_workload_identity(with_image(without_role, LEGACY_IMAGE))
    assert "IRSA service account annotation on spinnaker-ecr-clouddriver-sa-patch" in violation.message


def test_the_legacy_image_is_caught_when_a_pod_identity_association_joins_a_node_role_stack(dev: ProgramRun) -> None:
    resources = stack_resources(dev)
    assert rules.no_legacy_image_with_workload_identity(resources) == [], "dev runs the legacy image on the node role"
    # Built, not the constant: the engine's type string is another object with the same value.
    association_type = "".join(["aws:eks/podIdentityAssociation", ":PodIdentityAssociation"])
    association = rules.Resource(association_type, {"serviceAccount": "x"}, "urn:x", "assoc")
    (violation,) = rules.no_legacy_image_with_workload_identity([*resources, association])
    assert "Pod Identity association assoc" in violation.message


def test_a_service_account_without_the_role_annotation_is_not_irsa(dev: ProgramRun) -> None:
    plain = rules.Resource("kubernetes:core/v1:ServiceAccount", {"metadata": {"name": "cd"}}, "urn:sa", "sa")
    assert rules.no_legacy_image_with_workload_identity([*stack_resources(dev), plain]) == []


def test_the_legacy_image_is_recognised_by_any_tag_or_digest() -> None:
    for image in (
        "quay.io/skuid/ecr-token-refresh",
        "quay.io/skuid/ecr-token-refresh@" + DIGEST,
        "quay.io:443/skuid/ecr-token-refresh:latest",
        "quay.io:443/skuid/ecr-token-refresh",
        "skuid/ecr-token-refresh:latest",
        "mirror.example:5000/skuid/ecr-token-refresh:1@" + DIGEST,
    ):
        assert rules.is_legacy_image(image), image
    assert not rules.is_legacy_image("ghcr.io/example/skuid-ecr-token-refresh:1")
    assert not rules.is_legacy_image("quay.io:443/skuid/ecr-token-refresh-fork:latest")
    assert not rules.is_legacy_image("ubuntu:22.04"), "a name that sorts after skuid/... is still another image"


def test_the_legacy_image_is_caught_from_the_roles_trust_alone(staging: ProgramRun) -> None:
    """No service account patch, no association in this view: the role's web-identity trust says IRSA."""
    only_role = [r for r in stack_resources(staging) if r.type not in rules.SERVICE_ACCOUNT_TYPES]
    (violation,) = rules.no_legacy_image_with_workload_identity(with_image(only_role, LEGACY_IMAGE))
    assert "IRSA trust of role spinnaker-ecr-access-role" in violation.message


# --- password-files-under-shared-mount ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password_file, fragment",
    [
        ("/tmp/ecr-prod-use1.pass", "not under the token-refresh sidecar's mountPath"),
        ("/etc/passwords/../shadow", "not under"),
        ("/etc/passwordsX/ecr-prod-use1.pass", "not under"),
        ("passwords/ecr-prod-use1.pass", "not an absolute path"),
    ],
)
def test_a_password_file_outside_the_shared_mount_is_caught(
    prod: ProgramRun, password_file: str, fragment: str
) -> None:
    props = copy.deepcopy(spinnaker_patch(prod).inputs)
    accounts(props)[0]["passwordFile"] = password_file
    one_finding(rules.password_files_under_mount(spinnaker_patch(prod).type, props), "accounts[0]", fragment)


def test_without_the_sidecar_every_password_file_is_caught(staging: ProgramRun) -> None:
    props = copy.deepcopy(spinnaker_patch(staging).inputs)
    del spinnaker_config(props)["config"]
    messages = rules.password_files_under_mount(spinnaker_patch(staging).type, props)
    assert len(messages) == len(accounts(props)) == 2 and all("(mounted: none)" in m for m in messages), messages


def test_a_clouddriver_volume_mount_serves_the_password_files(staging: ProgramRun) -> None:
    """The external-secrets shape: no token-refresh sidecar, a Secret volume per region."""
    props = copy.deepcopy(spinnaker_patch(staging).inputs)
    del spinnaker_config(props)["config"]
    for account in accounts(props):
        account["passwordFile"] = "/etc/ecr/eu-west-1/password"
    volumes = [{"id": "ecr-token-eu-west-1", "type": "secret", "mountPath": "/etc/ecr/eu-west-1"}]
    spinnaker_config(props)["service-settings"] = {"clouddriver": {"kubernetes": {"volumes": volumes}}}
    assert rules.password_files_under_mount(spinnaker_patch(staging).type, props) == []
    volumes[0]["mountPath"] = "/etc/ecr/us-east-1"
    assert len(rules.password_files_under_mount(spinnaker_patch(staging).type, props)) == 2


def test_a_token_refresh_sidecar_of_another_service_serves_no_password_file(prod: ProgramRun) -> None:
    """Its emptyDir is mounted in that service's pod, not clouddriver's."""
    props = copy.deepcopy(spinnaker_patch(prod).inputs)
    sidecars = spinnaker_config(props)["config"]["deploymentEnvironment"]["sidecars"]
    sidecars["spin-echo"] = sidecars.pop("spin-clouddriver")
    messages = rules.password_files_under_mount(spinnaker_patch(prod).type, props)
    with_files = [a for a in accounts(props) if "passwordFile" in a]
    assert len(messages) == len(with_files) == 3 and all("(mounted: none)" in m for m in messages), messages


@pytest.mark.parametrize(
    "service", ["clouddriver", "clouddriver-caching", "clouddriver-rw", "clouddriver-ro", "clouddriver-ro-deck"]
)
def test_a_volume_of_any_clouddriver_service_serves_the_password_files(staging: ProgramRun, service: str) -> None:
    """In HA mode each clouddriver-* service has its own service-settings."""
    props = copy.deepcopy(spinnaker_patch(staging).inputs)
    del spinnaker_config(props)["config"]
    for account in accounts(props):
        account["passwordFile"] = "/etc/ecr/eu-west-1/password"
    volumes = [{"id": "ecr-token-eu-west-1", "type": "secret", "mountPath": "/etc/ecr/eu-west-1"}]
    spinnaker_config(props)["service-settings"] = {service: {"kubernetes": {"volumes": volumes}}}
    assert rules.password_files_under_mount(spinnaker_patch(staging).type, props) == []
    spinnaker_config(props)["service-settings"] = {"echo": {"kubernetes": {"volumes": volumes}}}
    assert len(rules.password_files_under_mount(spinnaker_patch(staging).type, props)) == 2


def test_password_command_accounts_need_no_mount(dev: ProgramRun) -> None:
    props = copy.deepcopy(spinnaker_patch(dev).inputs)
    del spinnaker_config(props)["config"]
    for account in accounts(props):
        account["passwordCommand"] = "aws ecr get-login-password --region us-east-1"
        del account["passwordFile"]
    assert rules.password_files_under_mount(spinnaker_patch(dev).type, props) == []
    assert rules.token_refresh_image_pinned(spinnaker_patch(dev).type, props) == [], "no sidecar, no image to pin"


def test_an_account_without_a_password_file_does_not_end_the_check(prod: ProgramRun) -> None:
    props = copy.deepcopy(spinnaker_patch(prod).inputs)
    accounts(props).insert(0, {"name": "anonymous", "address": "https://index.docker.io"})
    accounts(props)[1]["passwordFile"] = "/tmp/ecr-prod-use1.pass"
    one_finding(rules.password_files_under_mount(spinnaker_patch(prod).type, props), "accounts[1] 'ecr-prod-use1'")


def test_an_account_in_config_providers_gets_only_the_halyard_finding(dev: ProgramRun) -> None:
    props = copy.deepcopy(spinnaker_patch(dev).inputs)
    legacy = {"name": "old", "address": "https://index.docker.io", "passwordFile": "/tmp/old.pass"}
    spinnaker_config(props)["config"]["providers"] = {"dockerRegistry": {"accounts": [legacy]}}
    one_finding(rules.password_files_under_mount(spinnaker_patch(dev).type, props), "config.providers", "Halyard")


def test_a_sidecar_of_another_service_listed_first_hides_nothing(prod: ProgramRun) -> None:
    props = copy.deepcopy(spinnaker_patch(prod).inputs)
    sidecars = spinnaker_config(props)["config"]["deploymentEnvironment"]["sidecars"]
    reordered = {"spin-echo": [{"name": "token-refresh", "mountPath": "/elsewhere"}], **sidecars}
    spinnaker_config(props)["config"]["deploymentEnvironment"]["sidecars"] = reordered
    assert rules.password_files_under_mount(spinnaker_patch(prod).type, props) == []


def test_a_password_file_in_config_providers_is_caught(dev: ProgramRun) -> None:
    props = copy.deepcopy(spinnaker_patch(dev).inputs)
    spinnaker_config(props)["config"]["providers"] = {"dockerRegistry": {"accounts": copy.deepcopy(accounts(props))}}
    one_finding(rules.password_files_under_mount(spinnaker_patch(dev).type, props), "config.providers", "Halyard")


# --- token-refresh-image-pinned-by-digest ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "image",
    [
        "210987654321.dkr.ecr.us-east-1.amazonaws.com/ecr-token-refresh:1.0.0",
        "210987654321.dkr.ecr.us-east-1.amazonaws.com/ecr-token-refresh@sha256:abc",
        "210987654321.dkr.ecr.us-east-1.amazonaws.com/ecr-token-refresh@sha256:" + "AB" * 32,
    ],
)
def test_an_image_without_a_full_digest_is_caught(prod: ProgramRun, image: str) -> None:
    props = copy.deepcopy(spinnaker_patch(prod).inputs)
    token_refresh_sidecar(props)["dockerImage"] = image
    one_finding(rules.token_refresh_image_pinned(spinnaker_patch(prod).type, props), "sidecars.spin-clouddriver[0]")


def test_an_image_tag_in_the_prod_stack_config_is_caught() -> None:
    """A broken stack config, through the real program: settings accept a tag, the pack flags it."""
    image = "210987654321.dkr.ecr.us-east-1.amazonaws.com/ecr-token-refresh:1.0.0"
    run = run_program(with_stack_config("prod", "spinnaker-ecr:tokenRefresh", image=image), "prod")
    one_finding(all_findings(run, ADVISORY_RULES)["token-refresh-image-pinned-by-digest"], image)


# --- refresh-interval-under-12h ----------------------------------------------------------------------------------


def config_map_with(dev: ProgramRun, edit: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    props = copy.deepcopy(dev.one(CONFIG_MAP).inputs)
    document = yaml.safe_load(props["data"]["config.yaml"])
    edit(document)
    props["data"]["config.yaml"] = yaml.safe_dump(document)
    return props


@pytest.mark.parametrize("interval", ["12h", "13h", "720m", "0", "-5m", "soon", 30])
def test_an_interval_of_12h_or_more_or_not_a_duration_is_caught(dev: ProgramRun, interval: Any) -> None:
    props = config_map_with(dev, lambda d: d.update(interval=interval))
    one_finding(rules.refresh_interval_under_token_lifetime(CONFIG_MAP, props), "data.config.yaml interval")


def test_a_missing_interval_is_caught(dev: ProgramRun) -> None:
    props = config_map_with(dev, lambda d: d.pop("interval"))
    one_finding(rules.refresh_interval_under_token_lifetime(CONFIG_MAP, props), "interval: is missing")


@pytest.mark.parametrize(
    "interval", ["\u0663\u0660m", "\uff13\uff10m", "1\u0665m"], ids=["arabic-indic", "fullwidth", "mixed"]
)
def test_only_ascii_digits_make_a_go_duration(interval: str) -> None:
    """Go's time.ParseDuration reads 0-9 only; Python's \\d and float() also take other scripts' digits."""
    assert rules._interval_problem("interval", interval) is not None


@pytest.mark.parametrize("interval", ["11h59m", "1h30m", "30m", "1.5h"])
def test_intervals_under_12h_pass(dev: ProgramRun, interval: str) -> None:
    props = config_map_with(dev, lambda d: d.update(interval=interval))
    assert rules.refresh_interval_under_token_lifetime(CONFIG_MAP, props) == []


def test_a_config_yaml_that_yaml_cannot_build_is_not_judged() -> None:
    """PyYAML raises ValueError, not YAMLError, for an impossible date."""
    props = {"data": {"config.yaml": "interval: 2001-13-45\nregistries: []\n"}}
    assert rules.refresh_interval_under_token_lifetime(CONFIG_MAP, props) == []


def test_other_config_maps_are_not_judged() -> None:
    props = {"data": {"config.yaml": "interval: 24h\n"}}
    assert rules.refresh_interval_under_token_lifetime(CONFIG_MAP, props) == []


@pytest.mark.parametrize("interval, caught", [("24h", True), ("0", True), ("1h", False), (None, False)])
def test_an_external_secret_refresh_interval_is_checked(interval: str | None, caught: bool) -> None:
    spec: dict[str, Any] = {"target": {"name": "ecr-token-eu-west-1"}}
    if interval is not None:
        spec["refreshInterval"] = interval
    messages = rules.refresh_interval_under_token_lifetime(
        "kubernetes:external-secrets.io/v1:ExternalSecret", {"spec": spec}
    )
    assert bool(messages) is caught, messages
    if caught:
        assert "spec.refreshInterval" in messages[0]


# --- the other refresh methods, through the real program ----------------------------------------------------------


@pytest.mark.parametrize("method", ["password-command", "external-secrets"])
def test_the_other_refresh_methods_pass_every_rule(method: str) -> None:
    if method not in TOKEN_REFRESH_METHODS:
        pytest.skip(f"the settings module does not offer tokenRefresh.method {method} yet")
    config = copy.deepcopy(stack_config("staging"))
    refresh = {k: v for k, v in config["spinnaker-ecr:tokenRefresh"].items() if k != "image"}
    if method == "password-command":
        refresh.pop("interval", None)
    config["spinnaker-ecr:tokenRefresh"] = {**refresh, "method": method}
    run = run_program(config, "staging")
    assert not rules.token_refresh_sidecars(spinnaker_patch(run).inputs)
    every_rule = {**MANDATORY_RULES, **ADVISORY_RULES}
    assert all_findings(run, every_rule) == {name: [] for name in every_rule}
    assert rules.no_legacy_image_with_workload_identity(stack_resources(run)) == []


# --- the pack: policies, enforcement levels, the pulumi_policy wrappers -----------------------------------------------


MANDATORY, ADVISORY = EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY
# Every policy of the pack: its level without a policy config, and whether it judges one resource or the stack.
PACK = {
    "ecr-read-only-managed-policy": (MANDATORY, ResourceValidationPolicy),
    "no-exclusive-policy-attachments": (MANDATORY, ResourceValidationPolicy),
    "resource-types-allow-listed": (MANDATORY, ResourceValidationPolicy),
    "irsa-trust-single-service-account": (MANDATORY, ResourceValidationPolicy),
    "pod-identity-trust-only": (MANDATORY, ResourceValidationPolicy),
    "password-files-under-shared-mount": (MANDATORY, ResourceValidationPolicy),
    "token-refresh-image-pinned-by-digest": (ADVISORY, ResourceValidationPolicy),
    "refresh-interval-under-12h": (ADVISORY, ResourceValidationPolicy),
    "sidecars-unprivileged-and-pinned": (ADVISORY, ResourceValidationPolicy),
    "no-password-or-command-in-other-accounts": (ADVISORY, ResourceValidationPolicy),
    "resource-checks-see-known-values": (ADVISORY, ResourceValidationPolicy),
    "no-legacy-image-with-workload-identity": (MANDATORY, StackValidationPolicy),
    "ecr-token-sent-only-to-its-registry": (MANDATORY, StackValidationPolicy),
    "password-files-match-token-refresh-config": (MANDATORY, StackValidationPolicy),
    "workload-identity-names-the-stack-role": (MANDATORY, StackValidationPolicy),
    "stack-checks-see-known-values": (ADVISORY, StackValidationPolicy),
}


def test_the_pack_holds_each_rule_once_with_its_enforcement_level() -> None:
    assert [p.name for p in policies.policies] == [p.name for p in rules.POLICIES] == list(PACK)
    assert {p.name: (p.enforcement_level, type(p)) for p in policies.policies} == PACK
    assert all(p.description and "\n" not in p.description for p in policies.policies)
    descriptions = {p.name: p.description for p in policies.policies}
    assert descriptions["ecr-read-only-managed-policy"] == (
        "The only managed policy this program attaches, to a role, user or group, is "
        "AmazonEC2ContainerRegistryReadOnly; it keeps no inline policy on any of them."
    )
    assert descriptions["stack-checks-see-known-values"].startswith("A stack check was blinded by a value not known")


def test_what_rules_return_are_values() -> None:
    """Frozen and hashable: a tool can collect findings in sets and compare runs."""
    resource = rules.Resource("t", {}, "urn", "n")
    for value in (
        resource,
        rules.Violation("m"),
        rules.Finding("p", "advisory", "m"),
        rules.Outcome(),
        rules.POLICIES[0],
    ):
        with pytest.raises(AttributeError):
            value.message = "changed"  # type: ignore[misc]
    assert len({rules.Violation("m"), rules.Violation("m")}) == 1
    assert len({rules.Finding("p", "advisory", "m"), rules.Finding("p", "advisory", "m")}) == 1


def test_main_builds_the_same_pack_for_every_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    """No initial config: the pack runs before the CLI tells it the stack, so levels come from policy config."""
    built: dict[str, Any] = {}
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda **kwargs: built.update(kwargs))
    runpy.run_path(str(POLICY_DIR / "__main__.py"), run_name="__main__")
    assert built == {"name": "spinnaker-ecr", "policies": policies.policies}


def test_the_production_config_names_only_the_packs_policies() -> None:
    """The CLI passes unknown names on and the pack ignores them: a misspelt policy would stay advisory."""
    assert set(read_policy_pack_config(PRODUCTION_CONFIG)) <= {p.name for p in policies.policies}


def test_the_production_config_makes_exactly_the_advisory_policies_mandatory() -> None:
    default = configured_analyzer({})
    production = configured_analyzer(production_config())
    before = {p.name: default._get_enforcement_level(p) for p in policies.policies}
    after = {p.name: production._get_enforcement_level(p) for p in policies.policies}
    assert {name for name, level in before.items() if level == ADVISORY} == {
        name for name, (level, _) in PACK.items() if level == ADVISORY
    }
    assert after == dict.fromkeys(before, MANDATORY)


def test_the_render_can_run_the_pack_without_pulumi_policy(stack_runs: dict[str, ProgramRun]) -> None:
    """`rules.check` is what a tool without the Pulumi CLI runs: every policy, levels from the same config file."""
    resources = [
        rules.Resource(r.type, r.outputs, r.urn, r.name, tuple(r.dependencies)) for r in stack_runs["dev"].resources
    ]
    config = json.loads(PRODUCTION_CONFIG.read_text())
    for policy_config, level in ((None, "advisory"), (config, "mandatory")):
        (finding,) = rules.check(resources, policy_config)
        assert (finding.policy, finding.level) == ("token-refresh-image-pinned-by-digest", level)
        assert "quay.io/skuid/ecr-token-refresh:latest" in finding.message
    assert rules.check(resources, {**config, "token-refresh-image-pinned-by-digest": "disabled"}) == []
    # Levels as a JSON file gives them: new strings, compared by value; a disabled policy skips only itself.
    levels = json.loads(
        '{"ecr-read-only-managed-policy": "disabled", "token-refresh-image-pinned-by-digest": "remediate"}'
    )
    assert [(f.policy, f.level) for f in rules.check(resources, levels)] == [
        ("token-refresh-image-pinned-by-digest", "mandatory")
    ]
    assert rules.check(resources, json.loads('{"token-refresh-image-pinned-by-digest": "disabled"}')) == []


def analyze(analyzer: Any, resource_type: str, props: Mapping[str, Any]) -> list[Any]:
    """The analyzer's Analyze call for one resource, as the engine makes it during a preview."""
    request = proto.AnalyzeRequest(type=resource_type, urn="urn:pulumi:prod::spinnaker-ecr::x::x", name="x")
    request.properties.update(copy.deepcopy(dict(props)))
    return list(analyzer.Analyze(request, None).diagnostics)


def test_under_the_production_config_an_unpinned_image_fails_the_preview(prod: ProgramRun) -> None:
    props = copy.deepcopy(spinnaker_patch(prod).inputs)
    token_refresh_sidecar(props)["dockerImage"] = "210987654321.dkr.ecr.us-east-1.amazonaws.com/ecr-token-refresh:1"
    for config, expected in (({}, proto.ADVISORY), (production_config(), proto.MANDATORY)):
        found = analyze(configured_analyzer(config), spinnaker_patch(prod).type, props)
        (diagnostic,) = [d for d in found if d.policyName == "token-refresh-image-pinned-by-digest"]
        assert diagnostic.enforcementLevel == expected


def run_resource_policy(name: str, resource: Registered | tuple[str, Mapping[str, Any]]) -> list[str]:
    """Through the pulumi_policy wrapper, with props behind the unknown-checking proxy the engine's props use."""
    policy = next(p for p in policies.policies if p.name == name)
    resource_type, props = (resource.type, resource.inputs) if isinstance(resource, Registered) else resource
    options = PolicyResourceOptions(False, [], False, [], None, [], None)  # type: ignore[arg-type]
    args = ResourceValidationArgs(
        resource_type, unknown_checking_proxy(copy.deepcopy(props)), "urn", "n", options, None
    )
    reported: list[str] = []
    policy.validate(args, lambda message, urn=None: reported.append(message))
    return reported


@pytest.mark.parametrize("stack", STACKS)
def test_the_wrapped_policies_report_nothing_for_the_stacks(stack: str, stack_runs: dict[str, ProgramRun]) -> None:
    names = [*MANDATORY_RULES, *(ADVISORY_RULES if stack in PRODUCTION_STACKS else ())]
    for resource in stack_runs[stack].resources:
        for name in names:
            assert run_resource_policy(name, resource) == [], (name, resource.name)


def test_the_wrapped_advisory_policies_report_the_rules_messages(prod: ProgramRun) -> None:
    """Through the wrapper and the unknown-checking proxy, as the engine runs them."""
    patch = copy.deepcopy(spinnaker_patch(prod).inputs)
    token_refresh_sidecar(patch)["dockerImage"] = "210987654321.dkr.ecr.us-east-1.amazonaws.com/ecr-token-refresh:1"
    config_map = copy.deepcopy(prod.one(CONFIG_MAP).inputs)
    config_map["data"]["config.yaml"] = config_map["data"]["config.yaml"].replace("interval: 20m", "interval: 24h")
    for name, resource_type, props in (
        ("token-refresh-image-pinned-by-digest", spinnaker_patch(prod).type, patch),
        ("refresh-interval-under-12h", CONFIG_MAP, config_map),
    ):
        reported = run_resource_policy(name, (resource_type, props))
        assert reported == ADVISORY_RULES[name](resource_type, props) and len(reported) == 1, (name, reported)


def test_a_role_arriving_through_the_analyzer_is_judged_as_a_role(staging: ProgramRun) -> None:
    """The engine's type string is a new object: the rules compare types by value."""
    props = copy.deepcopy(role(staging).inputs)
    props["managedPolicyArns"] = ["arn:aws:iam::aws:policy/AdministratorAccess"]
    props["inlinePolicies"] = [{"name": "extra", "policy": "{}"}]
    found = analyze(configured_analyzer({}), "".join(["aws:iam/role", ":Role"]), props)
    assert [d.policyName for d in found] == ["ecr-read-only-managed-policy"] * 2, found


def test_the_wrapped_policy_reports_the_rules_message(dev: ProgramRun) -> None:
    props = copy.deepcopy(dev.one(ATTACHMENT).inputs)
    props["policyArn"] = "arn:aws:iam::aws:policy/AdministratorAccess"
    assert run_resource_policy("ecr-read-only-managed-policy", (ATTACHMENT, props)) == rules.ecr_read_only_only(
        ATTACHMENT, props
    )


def test_an_unknown_value_during_preview_is_named_by_its_own_policy(dev: ProgramRun) -> None:
    """The policy that reads it reports nothing (`pulumi up` checks the known value); the known-values policy says
    which value it could not see, at its own level."""
    props = copy.deepcopy(dev.one(ATTACHMENT).inputs)
    props["policyArn"] = UNKNOWN_STRING_VALUE
    assert run_resource_policy("ecr-read-only-managed-policy", (ATTACHMENT, props)) == []
    (message,) = run_resource_policy("resource-checks-see-known-values", (ATTACHMENT, props))
    assert "ecr-read-only-managed-policy cannot check" in message and "policyArn is not known" in message


def test_the_wrapped_stack_policy_reports_against_the_patch(staging: ProgramRun) -> None:
    policy = next(p for p in policies.policies if p.name == "no-legacy-image-with-workload-identity")
    options = PolicyResourceOptions(False, [], False, [], None, [], None)  # type: ignore[arg-type]
    resources = [
        PolicyResource(r.type, unknown_checking_proxy(dict(r.props)), r.urn, r.name, options, None, None, [], {})
        for r in with_image(stack_resources(staging), LEGACY_IMAGE)
    ]
    reported: list[tuple[str, str | None]] = []
    policy.validate(StackValidationArgs(resources), lambda message, urn=None: reported.append((message, urn)))
    ((message, urn),) = reported
    assert urn == spinnaker_patch(staging).urn and LEGACY_IMAGE in message


def first_irsa_preview(staging: ProgramRun, image: str) -> list[PolicyResource]:
    """Staging's resources as the engine sends them on a first preview: the role does not exist yet, so the role ARN
    the service account is annotated with and the sidecar's auto-named ConfigMap are unknown."""
    options = PolicyResourceOptions(False, [], False, [], None, [], None)  # type: ignore[arg-type]
    resources = []
    for r in with_image(stack_resources(staging), image):
        props = copy.deepcopy(dict(r.props))
        if r.type in rules.SERVICE_ACCOUNT_TYPES:
            props["metadata"]["annotations"][rules.IRSA_ROLE_ANNOTATION] = UNKNOWN_STRING_VALUE
        if rules.is_spinnaker_service(r.type):
            token_refresh_sidecar(props)["configMapVolumeMounts"][0]["configMapName"] = UNKNOWN_STRING_VALUE
        proxied = unknown_checking_proxy(props)
        resources.append(PolicyResource(r.type, proxied, r.urn, r.name, options, None, None, [], {}))
    return resources


def run_stack_policy(resources: list[PolicyResource]) -> list[tuple[str, str | None]]:
    policy = next(p for p in policies.policies if p.name == "no-legacy-image-with-workload-identity")
    reported: list[tuple[str, str | None]] = []
    policy.validate(StackValidationArgs(resources), lambda message, urn=None: reported.append((message, urn)))
    return reported


def test_the_stack_policy_runs_on_a_first_irsa_preview(staging: ProgramRun) -> None:
    """The annotation's value is unknown, but its presence is what says IRSA: the policy reads only the key."""
    without_role = [r for r in first_irsa_preview(staging, LEGACY_IMAGE) if r.resource_type != ROLE]
    ((message, urn),) = run_stack_policy(without_role)
    assert "IRSA service account annotation" in message and urn == spinnaker_patch(staging).urn
    image = stack_config("staging")["spinnaker-ecr:tokenRefresh"]["image"]
    assert run_stack_policy(first_irsa_preview(staging, image)) == []


# --- the pack's files ----------------------------------------------------------------------------------------------


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            name, _, version = line.partition("==")
            assert version, f"{path.name}: {line} is not pinned with =="
            found[name.lower().replace("_", "-")] = version
    return found


def test_the_pack_requirements_are_pinned_to_the_projects_versions() -> None:
    pack = pins(POLICY_DIR / "requirements.txt")
    assert pack["pulumi-policy"] == "1.21.0" and pack["pulumi"] == "3.272.0" and "pyyaml" in pack
    project = pins(POLICY_DIR.parent / "requirements-dev.txt")
    assert {name: project.get(name) for name in pack} == pack


def test_pulumi_policy_yaml_names_a_python_pack_with_its_own_virtualenv() -> None:
    manifest = yaml.safe_load((POLICY_DIR / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"] == {"name": "python", "options": {"virtualenv": ".venv"}}
    assert manifest["version"] and manifest["description"]
