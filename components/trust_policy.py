"""IAM documents and ARNs for ECR pull access. Pure: partitions and ARNs come in as strings."""

from typing import Any

ECR_READ_ONLY_POLICY = "AmazonEC2ContainerRegistryReadOnly"
POD_IDENTITY_PRINCIPAL = "pods.eks.amazonaws.com"


def ecr_read_only_policy_arn(partition: str) -> str:
    return f"arn:{partition}:iam::aws:policy/{ECR_READ_ONLY_POLICY}"


def oidc_issuer(provider_arn: str) -> str:
    """The issuer host/path that IAM condition keys are prefixed with."""
    return provider_arn.split(":oidc-provider/", 1)[1]


def service_account_subject(namespace: str, service_account: str) -> str:
    return f"system:serviceaccount:{namespace}:{service_account}"


def irsa_trust_policy(provider_arn: str, audience: str, namespace: str, service_account: str) -> dict[str, Any]:
    issuer = oidc_issuer(provider_arn)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{issuer}:sub": service_account_subject(namespace, service_account),
                        f"{issuer}:aud": audience,
                    }
                },
            }
        ],
    }


def pod_identity_trust_policy() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": POD_IDENTITY_PRINCIPAL},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        ],
    }
