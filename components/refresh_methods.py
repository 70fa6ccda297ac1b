"""Each token-refresh method's password source for a registry: the one table settings, the components and the
render share. Pure. A method declared in model.REFRESH_METHODS but missing here fails loudly (and a test)."""

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from components.external_secret_manifests import password_file_in_secret
from components.model import ExternalSecretsMethod, PasswordCommandMethod, Registry, SidecarMethod
from components.password_command import get_login_password_command
from components.registries import password_file

PASSWORD_SOURCES: Mapping[type, Callable[[Registry], dict[str, str]]] = {
    SidecarMethod: lambda registry: {"passwordFile": password_file(registry)},
    PasswordCommandMethod: lambda registry: {"passwordCommand": get_login_password_command(registry.region)},
    ExternalSecretsMethod: lambda registry: {"passwordFile": password_file_in_secret(registry)},
}


def password_source(refresh: Any, registry: Registry) -> dict[str, str]:
    """The clouddriver account fields that give `registry`'s password under this refresh method."""
    try:
        source = PASSWORD_SOURCES[type(refresh)]
    except KeyError:
        raise TypeError(f"token-refresh method {type(refresh).__name__} has no password source") from None
    return source(registry)


def password_files(refresh: Any, registries: Iterable[Registry]) -> list[tuple[Registry, str]]:
    """(registry, file) for every password file this method keeps fresh."""
    return [
        (registry, path)
        for registry in registries
        if (path := password_source(refresh, registry).get("passwordFile")) is not None
    ]
