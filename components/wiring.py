"""What a token-refresh method hands to the SpinnakerService patch. Pure data, no Pulumi imports."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ClouddriverWiring:
    """Per registry name, the account's password source (`passwordFile` or `passwordCommand`), plus the
    sidecars and service-settings volumes the method needs beside clouddriver."""

    password_sources: Mapping[str, Mapping[str, Any]]
    sidecars: tuple[Mapping[str, Any], ...] = ()
    volumes: tuple[Mapping[str, Any], ...] = ()


def aws_tags(project: str, stack: str, extra: Mapping[str, str]) -> dict[str, str]:
    return {"project": project, "stack": stack, "managed-by": "pulumi", **extra}


def kubernetes_labels(project: str, stack: str) -> dict[str, str]:
    return {"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": project, "pulumi.com/stack": stack}
