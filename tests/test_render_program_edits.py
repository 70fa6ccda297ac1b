"""A hostile edit of the program (not of a stack file) is refused by the render as by a preview: the render runs the
edited `__main__.py` under mocks and checks what it registers with the pack's rules (exit 3, nothing written)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import tools.offline
from tools.render import EXIT_POLICY, main

OTHER_ROLE = "arn:aws:iam::111122223333:role/admin"
READ_ONLY = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"
TWO_CLUSTERS = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": f"arn:aws:iam::123456789012:oidc-provider/oidc.eks.{region}/id/{cluster}"},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {f"oidc.eks.{region}/id/{cluster}:sub": "system:serviceaccount:spinnaker:x"}
                },
            }
            for region, cluster in [("us-east-1.amazonaws.com", "AAAA"), ("eu-west-1.amazonaws.com", "BBBB")]
        ],
    }
)
WIDE_OPEN = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*"}]})

# (what the edit does, the stack it runs on, the lines appended to __main__.py, the policy that refuses it, a word
# the finding must name)
EDITS = [
    (
        "account-wide PolicyAttachment",
        "dev",
        f"aws.iam.PolicyAttachment('all', roles=['nodes'], policy_arn='{READ_ONLY}')",
        "no-exclusive-policy-attachments",
        "PolicyAttachment",
    ),
    (
        "RolePolicyAttachmentsExclusive on the node role",
        "dev",
        "aws.iam.RolePolicyAttachmentsExclusive('nodes', role_name='nodes', policy_arns=[])",
        "no-exclusive-policy-attachments",
        "RolePolicyAttachmentsExclusive",
    ),
    (
        "ECR repository policy open to everyone",
        "dev",
        f"aws.ecr.RepositoryPolicy('open', repository='spinnaker', policy={WIDE_OPEN!r})",
        "resource-types-allow-listed",
        "aws:ecr/repositoryPolicy:RepositoryPolicy",
    ),
    (
        "an aws-native resource",
        "dev",
        "pulumi.CustomResource('aws-native:iam:Role', 'native', {'assumeRolePolicyDocument': {}})",
        "resource-types-allow-listed",
        "aws-native:iam:Role",
    ),
    (
        "a second Pod Identity association naming another role",
        "prod",
        "aws.eks.PodIdentityAssociation('second', cluster_name='c', namespace='spinnaker', service_account='default', "
        f"role_arn='{OTHER_ROLE}')",
        "workload-identity-names-the-stack-role",
        "2 Pod Identity associations",
    ),
    (
        "an IRSA annotation naming another role",
        "staging",
        "k8s.core.v1.ServiceAccountPatch('default-sa', metadata={'name': 'default', 'namespace': 'spinnaker', "
        f"'annotations': {{'eks.amazonaws.com/role-arn': '{OTHER_ROLE}'}}}})",
        "workload-identity-names-the-stack-role",
        OTHER_ROLE,
    ),
    (
        "a role trusting two clusters",
        "staging",
        f"aws.iam.Role('two-clusters', assume_role_policy={TWO_CLUSTERS!r})",
        "irsa-trust-single-service-account",
        "2 OIDC providers",
    ),
    (
        "an ExternalSecret refreshed once",
        "prod",
        "pulumi.CustomResource('kubernetes:external-secrets.io/v1:ExternalSecret', 'once', "
        "{'apiVersion': 'external-secrets.io/v1', 'kind': 'ExternalSecret', 'metadata': {'name': 'once'}, "
        "'spec': {'refreshPolicy': 'CreatedOnce'}})",
        "refresh-interval-under-12h",
        "CreatedOnce",
    ),
]


def edited_program(directory: Path, line: str) -> Path:
    text = (tools.offline.MAIN).read_text(encoding="utf-8")
    program = directory / "__main__.py"
    program.write_text(
        f"{text}\nimport pulumi_aws as aws\nimport pulumi_kubernetes as k8s\n\n{line}\n",
        encoding="utf-8",
    )
    return program


@pytest.mark.parametrize(("stack", "line", "policy", "named"), [e[1:] for e in EDITS], ids=[e[0] for e in EDITS])
def test_a_program_edit_is_refused_by_the_render(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    stack: str,
    line: str,
    policy: str,
    named: str,
) -> None:
    monkeypatch.setattr(tools.offline, "MAIN", edited_program(tmp_path, line))
    out = tmp_path / "out"
    code = main(["--stack", stack, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == EXIT_POLICY, err
    refusals = [row for row in err.splitlines() if f"[mandatory] {policy}:" in row]
    assert refusals and any(named in row for row in refusals), err
    assert not out.exists()


def test_the_unedited_program_passes_the_same_renders(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The refusals above come from the edits: each stack renders without a mandatory finding as it is."""
    for stack in sorted({edit[1] for edit in EDITS}):
        assert main(["--stack", stack, "--out", str(tmp_path / stack)]) == 0
        assert "[mandatory]" not in capsys.readouterr().err
