from components.trust_policy import (
    ecr_read_only_policy_arn,
    irsa_trust_policy,
    pod_identity_trust_policy,
)


def test_policy_arn_follows_the_partition() -> None:
    assert ecr_read_only_policy_arn("aws-us-gov") == "arn:aws-us-gov:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"


def test_irsa_trust_is_scoped_to_one_service_account_and_audience() -> None:
    provider = "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC"
    (statement,) = irsa_trust_policy(provider, "sts.amazonaws.com", "spinnaker", "spin-clouddriver")["Statement"]
    assert statement["Condition"] == {
        "StringEquals": {
            "oidc.eks.us-east-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:spinnaker:spin-clouddriver",
            "oidc.eks.us-east-1.amazonaws.com/id/ABC:aud": "sts.amazonaws.com",
        }
    }
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"


def test_pod_identity_trust_allows_only_the_eks_pods_service() -> None:
    (statement,) = pod_identity_trust_policy()["Statement"]
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert statement["Action"] == ["sts:AssumeRole", "sts:TagSession"]
