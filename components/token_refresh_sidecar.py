"""TokenRefreshSidecar: the `sidecar` method. A ConfigMap holding the sidecar's `config.yaml`, and the sidecar
block that mounts it beside clouddriver."""

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.model import Registry, TokenRefresh
from components.registries import CONFIG_FILE_KEY, password_file, token_refresh_config_yaml
from components.spinnaker_spec import token_refresh_sidecar
from components.wiring import ClouddriverWiring

CONFIG_MAP_BASE_NAME = "token-refresh-config"


@dataclass(frozen=True)
class TokenRefreshSidecarArgs:
    token_refresh: TokenRefresh
    registries: tuple[Registry, ...]
    namespace: str
    labels: dict[str, str]


class TokenRefreshSidecar(pulumi.ComponentResource):
    config_map_name: pulumi.Output[str]
    wiring: ClouddriverWiring

    def __init__(self, name: str, args: TokenRefreshSidecarArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("spinnaker-ecr:refresh:TokenRefreshSidecar", name, None, opts)
        # No metadata.name: Pulumi auto-names it, so a change creates the new ConfigMap first, the patch then
        # points clouddriver at it (a rollout), and the old one is deleted last.
        config_map = k8s.core.v1.ConfigMap(
            CONFIG_MAP_BASE_NAME,
            metadata=k8s.meta.v1.ObjectMetaArgs(namespace=args.namespace, labels=args.labels),
            data={CONFIG_FILE_KEY: token_refresh_config_yaml(args.registries, args.token_refresh.interval)},
            immutable=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.config_map_name = config_map.metadata.apply(lambda metadata: metadata.name)
        self.wiring = ClouddriverWiring(
            password_sources={r.name: {"passwordFile": password_file(r)} for r in args.registries},
            sidecars=(token_refresh_sidecar(args.token_refresh.image, self.config_map_name),),
        )
        self.register_outputs({"configMapName": self.config_map_name})
