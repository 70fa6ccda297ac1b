"""EcrPullAccess: the IAM side. A role clouddriver's pod can assume (irsa, pod-identity), or the node role,
with AmazonEC2ContainerRegistryReadOnly attached."""

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.model import Access
from components.trust_policy import ecr_read_only_policy_arn, irsa_trust_policy, pod_identity_trust_policy


@dataclass(frozen=True)
class EcrPullAccessArgs:
    access: Access
    namespace: str
    tags: dict[str, str]


class EcrPullAccess(pulumi.ComponentResource):
    role_arn: pulumi.Output[str] | None
    role_name: pulumi.Output[str]

    def __init__(self, name: str, args: EcrPullAccessArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("spinnaker-ecr:access:EcrPullAccess", name, None, opts)
        access = args.access
        child = pulumi.ResourceOptions(parent=self)
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition

        if access.mode == "node-role":
            self.role_arn = None
            self.role_name = pulumi.Output.from_input(access.node_role_name or "")
        else:
            role = aws.iam.Role(
                f"{name}-role",
                description=f"ECR read-only pull access for Spinnaker clouddriver ({access.mode})",
                assume_role_policy=self._trust_policy(args, partition),
                tags=args.tags,
                opts=child,
            )
            self.role_arn = role.arn
            self.role_name = role.name

        aws.iam.RolePolicyAttachment(
            f"{name}-ecr-read-only",
            role=self.role_name,
            policy_arn=partition.apply(ecr_read_only_policy_arn),
            # EKS node roles usually carry this policy already: detaching it on destroy would stop node image pulls.
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=access.mode == "node-role"),
        )

        if access.mode == "pod-identity" and access.service_account is not None:
            aws.eks.PodIdentityAssociation(
                f"{name}-pod-identity",
                cluster_name=access.cluster_name or "",
                namespace=args.namespace,
                service_account=access.service_account.name,
                role_arn=self.role_arn,
                tags=args.tags,
                opts=child,
            )

        self.register_outputs({"roleArn": self.role_arn, "roleName": self.role_name})

    def _trust_policy(self, args: EcrPullAccessArgs, partition: pulumi.Output[str]) -> pulumi.Output[str]:
        access = args.access
        if access.mode == "pod-identity":
            return pulumi.Output.from_input(json.dumps(pod_identity_trust_policy(), indent=2))
        service_account = access.service_account.name if access.service_account else ""
        provider_arn = self._oidc_provider_arn(access)
        return provider_arn.apply(
            lambda arn: json.dumps(irsa_trust_policy(arn, access.audience, args.namespace, service_account), indent=2)
        )

    def _oidc_provider_arn(self, access: Access) -> pulumi.Output[str]:
        if access.oidc_provider_arn:
            return pulumi.Output.from_input(access.oidc_provider_arn)
        # Looked up at deploy time: fails in preview, with the provider's message, if the cluster has no OIDC provider.
        invoke_opts = pulumi.InvokeOutputOptions(parent=self)
        cluster: Any = aws.eks.get_cluster_output(name=access.cluster_name, opts=invoke_opts)
        issuer = cluster.identities.apply(lambda identities: identities[0].oidcs[0].issuer)
        return aws.iam.get_open_id_connect_provider_output(url=issuer, opts=invoke_opts).arn
