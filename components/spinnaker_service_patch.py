"""SpinnakerServicePatch: server-side apply of this program's fields onto the existing SpinnakerService."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.model import Spinnaker
from components.spinnaker_spec import (
    clouddriver_service_names,
    patch_annotations,
    sidecar_key,
    spinnaker_service_spec,
)


@dataclass(frozen=True)
class SpinnakerServicePatchArgs:
    spinnaker: Spinnaker
    field_manager: str
    accounts: Sequence[Mapping[str, Any]]
    sidecars: Sequence[Mapping[str, Any]] = ()
    volumes: Sequence[Mapping[str, Any]] = ()
    service_account_name: str | None = None


class SpinnakerServicePatch(pulumi.ComponentResource):
    sidecar_key: str

    def __init__(self, name: str, args: SpinnakerServicePatchArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("spinnaker-ecr:spinnaker:SpinnakerServicePatch", name, None, opts)
        spinnaker = args.spinnaker
        self.sidecar_key = sidecar_key(spinnaker.clouddriver_ha)
        # The patch owns each list it sets (atomic under server-side apply): keep the user's entries in them.
        spec = spinnaker_service_spec(
            sidecar_key=self.sidecar_key,
            service_names=clouddriver_service_names(spinnaker.clouddriver_ha),
            sidecars=[*args.sidecars, *(s.entry() for s in spinnaker.extra_sidecars)],
            accounts=[*args.accounts, *(a.entry() for a in spinnaker.extra_docker_accounts)],
            service_account_name=args.service_account_name,
            volumes=[*args.volumes, *(v.entry() for v in spinnaker.extra_volumes)],
        )
        k8s.apiextensions.CustomResourcePatch(
            f"{name}-patch",
            api_version=spinnaker.api_version,
            kind="SpinnakerService",
            metadata=k8s.meta.v1.ObjectMetaPatchArgs(
                name=spinnaker.name,
                namespace=spinnaker.namespace,
                annotations=patch_annotations(args.field_manager, spinnaker.patch_force),
            ),
            spec=spec,
            # Children do not inherit a component's depends_on: pass it on, so credentials exist before the rollout.
            opts=pulumi.ResourceOptions(parent=self, depends_on=opts.depends_on if opts else None),
        )
        self.register_outputs({"sidecarKey": self.sidecar_key})
