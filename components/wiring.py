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
