"""ExternalSecretsRefresh: the `external-secrets` method. The External Secrets Operator (installed separately)
refreshes one Secret per region; clouddriver mounts them."""

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.external_secret_manifests import (
    GENERATOR_KIND,
    clouddriver_volume,
    external_secret_spec,
    generator_spec,
    irsa_generator_auth,
    regions,
    token_name,
)
from components.model import Access, ExternalSecretsMethod, Registry
from components.wiring import ClouddriverWiring

# pulumi-kubernetes waits for the Secret to be synced before anything that depends on it (the clouddriver patch).
WAIT_FOR_READY = {"pulumi.com/waitFor": "condition=Ready", "pulumi.com/timeoutSeconds": "300"}


@dataclass(frozen=True)
class ExternalSecretsRefreshArgs:
    method: ExternalSecretsMethod
    access: Access
    registries: tuple[Registry, ...]
    namespace: str
    labels: dict[str, str]


class ExternalSecretsRefresh(pulumi.ComponentResource):
    wiring: ClouddriverWiring

    def __init__(self, name: str, args: ExternalSecretsRefreshArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("spinnaker-ecr:refresh:ExternalSecretsRefresh", name, None, opts)
        method = args.method
        auth = method.auth.model_dump(by_alias=True, exclude_unset=True) if method.auth else None
        if auth is None and args.access.service_account is not None:
            auth = irsa_generator_auth(args.access.service_account.name, args.access.audience)
        depends_on = opts.depends_on if opts else None
        for region in regions(args.registries):
            generator = k8s.apiextensions.CustomResource(
                f"{name}-{region}-generator",
                api_version=method.generator_api_version,
                kind=GENERATOR_KIND,
                metadata=self._metadata(args, region),
                spec=generator_spec(region, auth),
                opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
            )
            k8s.apiextensions.CustomResource(
                f"{name}-{region}",
                api_version=method.api_version,
                kind="ExternalSecret",
                metadata=self._metadata(args, region, WAIT_FOR_READY),
                spec=external_secret_spec(region, method.interval, method.generator_api_version),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[generator]),
            )
        self.wiring = ClouddriverWiring(
            volumes=tuple(clouddriver_volume(region) for region in regions(args.registries))
        )
        self.register_outputs({"secrets": [token_name(region) for region in regions(args.registries)]})

    @staticmethod
    def _metadata(
        args: ExternalSecretsRefreshArgs, region: str, annotations: dict[str, str] | None = None
    ) -> k8s.meta.v1.ObjectMetaArgs:
        return k8s.meta.v1.ObjectMetaArgs(
            name=token_name(region), namespace=args.namespace, labels=args.labels, annotations=annotations
        )
