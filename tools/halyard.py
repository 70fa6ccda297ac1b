"""The Halyard route: the SpinnakerService patch the Operator route applies, as the files Halyard reads.

Everything comes from the rendered patch body, never from settings, so both routes carry the same fields:
`spinnakerConfig.config` -> the block for `~/.hal/config`, `profiles.<service>` -> `profiles/<service>-local.yml`,
`service-settings.<service>` -> `service-settings/<service>.yml`, plus every other Kubernetes object the stack
creates (ConfigMap, service account, ExternalSecrets), which a Halyard user applies with kubectl.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import PurePosixPath
from typing import Any

from tools.manifests import RenderedResource, resource_files, yaml_text

HALYARD_DIR = "halyard"
SIDECARS_FILE = "config-sidecars.yml"
# What this route knows how to hand to Halyard; anything else in the patch would be silently lost.
KNOWN_SPINNAKER_CONFIG = ("config", "profiles", "service-settings")


class HalyardError(ValueError):
    """The patch carries something the Halyard files cannot express."""


def spinnaker_service(rendered: Sequence[RenderedResource]) -> RenderedResource:
    found = [item for item in rendered if item.kind == "SpinnakerService"]
    if len(found) != 1:
        names = [item.resource.name for item in found]
        raise HalyardError(f"--halyard: needs exactly one SpinnakerService patch; this stack registers {names}")
    return found[0]


def halyard_sidecars(spinnaker_config: Mapping[str, Any]) -> dict[str, Any]:
    config = spinnaker_config.get("config") or {}
    environment = config.get("deploymentEnvironment") or {}
    extra = [f"config.{key}" for key in config if key != "deploymentEnvironment"]
    extra += [f"config.deploymentEnvironment.{key}" for key in environment if key != "sidecars"]
    if extra:
        raise HalyardError(f"--halyard: spec.spinnakerConfig {extra} has no Halyard file here (known: sidecars)")
    return environment.get("sidecars") or {}


def halyard_files(rendered: Sequence[RenderedResource]) -> dict[str, str]:
    """Relative path (under `halyard/`) -> file text."""
    spinnaker_config = ((spinnaker_service(rendered).document or {}).get("spec") or {}).get("spinnakerConfig") or {}
    unknown = sorted(set(spinnaker_config) - set(KNOWN_SPINNAKER_CONFIG))
    if unknown:
        raise HalyardError(
            f"--halyard: spec.spinnakerConfig {unknown} has no Halyard file here (known: {KNOWN_SPINNAKER_CONFIG})"
        )
    files = {}
    sidecars = halyard_sidecars(spinnaker_config)
    if sidecars:
        files[f"{HALYARD_DIR}/{SIDECARS_FILE}"] = yaml_text({"deploymentEnvironment": {"sidecars": sidecars}})
    for service, profile in (spinnaker_config.get("profiles") or {}).items():
        files[f"{HALYARD_DIR}/profiles/{service}-local.yml"] = yaml_text(profile)
    for service, settings in (spinnaker_config.get("service-settings") or {}).items():
        files[f"{HALYARD_DIR}/service-settings/{service}.yml"] = yaml_text(settings)
    # Halyard deploys clouddriver, not these: ConfigMaps, service accounts, ExternalSecrets go in with kubectl.
    companions = [
        replace(item, document=without_pulumi_metadata(item.document))
        for item in rendered
        if item.is_kubernetes and item.kind != "SpinnakerService"
    ]
    for path, text in resource_files(companions).items():
        files[f"{HALYARD_DIR}/{PurePosixPath(path).name}"] = text
    return files


def _pulumi_key(key: str, value: Any) -> bool:
    return key.startswith("pulumi.com/") or (key == "app.kubernetes.io/managed-by" and value == "pulumi")


def without_pulumi_metadata(document: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A kubectl user's copy: no label or annotation that claims Pulumi manages the object, or tells Pulumi how to."""
    if document is None:
        return None
    metadata = dict(document.get("metadata") or {})
    for field in ("labels", "annotations"):
        kept = {k: v for k, v in (metadata.get(field) or {}).items() if not _pulumi_key(k, v)}
        if kept:
            metadata[field] = kept
        else:
            metadata.pop(field, None)
    return {**document, "metadata": metadata}
