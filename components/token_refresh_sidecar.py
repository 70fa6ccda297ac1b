"""TokenRefreshSidecar: the `sidecar` method. A ConfigMap holding the sidecar's `config.yaml`, and the sidecar
block that mounts it beside clouddriver."""

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
from ecr_token_refresh import contract

from components.kubernetes_names import content_addressed_name
from components.model import Registry, SidecarMethod
from components.registries import token_refresh_config_yaml
from components.spinnaker_spec import token_refresh_sidecar
from components.wiring import ClouddriverWiring

CONFIG_MAP_BASE_NAME = "token-refresh-config"


def config_map_data(registries: tuple[Registry, ...], interval: str) -> dict[str, str]:
    return {contract.CONFIG_KEY: token_refresh_config_yaml(registries, interval)}


def config_map_name(data: dict[str, str]) -> str:
    """Named by its content: a new registry or interval is a new ConfigMap, created before the patch moves
    clouddriver to it (a rollout) and deleted after, and the name shows the change in every diff."""
    return content_addressed_name(CONFIG_MAP_BASE_NAME, data)


@dataclass(frozen=True)
class TokenRefreshSidecarArgs:
    token_refresh: SidecarMethod
    registries: tuple[Registry, ...]
    namespace: str
    labels: dict[str, str]


class TokenRefreshSidecar(pulumi.ComponentResource):
    config_map_name: pulumi.Output[str]
    wiring: ClouddriverWiring

    def __init__(self, name: str, args: TokenRefreshSidecarArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("spinnaker-ecr:refresh:TokenRefreshSidecar", name, None, opts)
        data = config_map_data(args.registries, args.token_refresh.interval)
        config_map = k8s.core.v1.ConfigMap(
            CONFIG_MAP_BASE_NAME,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=config_map_name(data), namespace=args.namespace, labels=args.labels
            ),
            data=data,
            immutable=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.config_map_name = config_map.metadata.apply(lambda metadata: metadata.name)
        self.wiring = ClouddriverWiring(
            sidecars=(token_refresh_sidecar(args.token_refresh.image, self.config_map_name),)
        )
        self.register_outputs({"configMapName": self.config_map_name})
