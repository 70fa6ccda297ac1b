"""What a token-refresh method adds beside clouddriver in the SpinnakerService. Pure data, no Pulumi imports."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ClouddriverWiring:
    """The sidecars and service-settings volumes a method needs beside clouddriver (the accounts' password
    sources come from refresh_methods.password_source)."""

    sidecars: tuple[Mapping[str, Any], ...] = ()
    volumes: tuple[Mapping[str, Any], ...] = ()
