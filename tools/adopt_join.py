"""The join `python -m tools.adopt` makes: the token-refresh sidecar Halyard runs beside clouddriver, and each docker
account with the config.yaml registry that writes the passwordFile it reads. An account no registry feeds is kept
verbatim as an extra account, unless its passwordFile is under the sidecar's mount, where only a registry can write.

Pure: inputs (tools/adopt_inputs.py) in, an Adoption out, or an AdoptError.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any

from components.model import TOKEN_REFRESH_SIDECAR_NAME
from components.registries import ECR_USERNAME, registry_host
from components.token_refresh_sidecar import CONFIG_MAP_BASE_NAME
from tools.adopt_inputs import (
    CONFIG_FILE_KEY,
    MISSING,
    SIDECAR_KEYS,
    SIDECARS,
    AdoptError,
    ConfigMapInput,
    ConfigYamlRegistry,
    Entry,
    Problem,
    SpinnakerServiceInput,
    key_of,
)

# The program sets these from the registry; the rest of an account's keys are clouddriver options, kept.
DERIVED_ACCOUNT_KEYS = ("name", "address", "passwordFile")
# Halyard's own account fields: clouddriver does not read providerVersion; requiredGroupMembership [] says nothing.
HALYARD_ONLY = {"providerVersion": None, "requiredGroupMembership": []}


@dataclass(frozen=True)
class Adoption:
    service: SpinnakerServiceInput
    config_map: ConfigMapInput
    token_sidecar: Entry
    fed_accounts: tuple[tuple[Entry, ConfigYamlRegistry], ...]
    extra_accounts: tuple[Entry, ...]
    extra_sidecars: tuple[Entry, ...]
    notes: tuple[str, ...]  # what is not carried over, and why

    @property
    def regions(self) -> list[str]:
        return list(dict.fromkeys(registry.region for _, registry in self.fed_accounts))


# --- the join ----------------------------------------------------------------------------------------------------


def adopt(service: SpinnakerServiceInput, config_map: ConfigMapInput | None) -> Adoption:
    token_sidecar = find_token_sidecar(service, config_map)
    assert config_map is not None  # find_token_sidecar refuses a setup without one
    fed, extra, problems = _classify_accounts(service, config_map, token_sidecar)
    if problems:
        raise AdoptError(problems)
    return Adoption(
        service=service,
        config_map=config_map,
        token_sidecar=token_sidecar,
        fed_accounts=fed,
        extra_accounts=extra,
        extra_sidecars=tuple(s for s in service.sidecars if s is not token_sidecar),
        notes=_notes(token_sidecar, fed),
    )


def _config_map_names(sidecar: Entry) -> list[Any]:
    mounts = sidecar.value.get("configMapVolumeMounts")
    return [m.get("configMapName") for m in mounts if isinstance(m, dict)] if isinstance(mounts, list) else []


def find_token_sidecar(service: SpinnakerServiceInput, config_map: ConfigMapInput | None) -> Entry:
    """The sidecar that mounts the token-refresh ConfigMap, in the sidecar list Halyard uses for clouddriver."""
    file = service.file
    if service.sidecar_key is None:
        ignored = ", ".join(f"sidecars.{key}" for key in service.ignored_sidecar_keys)
        ignored = f" ({ignored} is not read in HA mode)" if ignored else ""
        raise AdoptError(
            [
                Problem(
                    file,
                    key_of((*SIDECARS, SIDECAR_KEYS[service.clouddriver_ha][0])),
                    MISSING,
                    f"has no token-refresh sidecar{ignored}: adopt moves the published procedure's setup (a sidecar "
                    "that mounts the token-refresh ConfigMap, and the docker accounts it feeds)",
                )
            ]
        )
    named = [s for s in service.sidecars if s.value["name"] == TOKEN_REFRESH_SIDECAR_NAME]
    if len(named) > 1:
        raise AdoptError(
            [
                Problem(
                    file,
                    key_of((*named[1].path, "name")),
                    TOKEN_REFRESH_SIDECAR_NAME,
                    f"is a second sidecar of that name (the first is {named[0].key}): clouddriver's pod cannot have "
                    "two containers of one name; keep one",
                )
            ]
        )
    if config_map is None:
        mounted = [name for s in (named or service.sidecars) for name in _config_map_names(s)]
        fetch = "; ".join(
            f"kubectl get configmap {name} -n {service.namespace} -o yaml > {name}.yaml"
            for name in mounted or [CONFIG_MAP_BASE_NAME]
        )
        raise AdoptError(
            [f"--config-map: is required: the registries and the interval are in the sidecar's config.yaml ({fetch})"]
        )
    mounting = [s for s in service.sidecars if config_map.name in _config_map_names(s)]
    if len(mounting) != 1:
        mounted_by = ", ".join(s.key for s in mounting) or "none of them"
        raise AdoptError(
            [
                Problem(
                    file,
                    key_of((*SIDECARS, service.sidecar_key)),
                    [s.name for s in service.sidecars],
                    f"is not one sidecar that mounts ConfigMap {config_map.name!r} ({config_map.file}): mounted by "
                    f"{mounted_by}",
                )
            ]
        )
    if config_map.namespace not in (None, service.namespace):
        raise AdoptError(
            [
                Problem(
                    config_map.file,
                    "metadata.namespace",
                    config_map.namespace,
                    f"is not the SpinnakerService's namespace {service.namespace!r}: a pod mounts ConfigMaps of its "
                    "own namespace",
                )
            ]
        )
    return mounting[0]


def normal_address(address: Any) -> Any:
    """clouddriver's address with https:// when no scheme is given, without a trailing slash."""
    if not isinstance(address, str):
        return address
    address = address.rstrip("/")
    return address if "://" in address else f"https://{address}"


def _under(path: str, directory: str) -> bool:
    return posixpath.normpath(path).startswith(posixpath.normpath(directory).rstrip("/") + "/")


def _classify_accounts(
    service: SpinnakerServiceInput, config_map: ConfigMapInput, token_sidecar: Entry
) -> tuple[tuple[tuple[Entry, ConfigYamlRegistry], ...], tuple[Entry, ...], list[Problem]]:
    """Accounts whose passwordFile a config.yaml registry writes are that registry's; the rest are extra."""
    written = {posixpath.normpath(r.password_file): r for r in config_map.registries}
    mount = token_sidecar.value.get("mountPath")
    fed, extra, problems = [], [], []
    for account in service.accounts:
        password_file = account.value.get("passwordFile")
        registry = written.get(posixpath.normpath(password_file)) if isinstance(password_file, str) else None
        if registry is not None:
            expected = f"https://{registry_host(registry.registry_id, registry.region)}"
            address = account.value.get("address", MISSING)
            if normal_address(address) != expected:
                problems.append(
                    Problem(
                        service.file,
                        key_of((*account.path, "address")),
                        address,
                        f"is not {expected}, the address of registry {registry.registry_id} in {registry.region} "
                        f"(config.yaml registries[{registry.index}]), which writes its passwordFile "
                        f"{password_file}: that registry does not feed this account",
                    )
                )
            fed.append((account, registry))
        elif isinstance(password_file, str) and isinstance(mount, str) and _under(password_file, mount):
            problems.append(
                Problem(
                    service.file,
                    key_of((*account.path, "passwordFile")),
                    password_file,
                    f"is under the token-refresh sidecar's mountPath {mount}, but no registry in config.yaml "
                    f"({config_map.file}) writes it (they write: {', '.join(sorted(written))})",
                )
            )
        else:
            extra.append(account)
    read = {posixpath.normpath(account.value["passwordFile"]) for account, _ in fed}
    problems.extend(
        Problem(
            config_map.file,
            f'data["{CONFIG_FILE_KEY}"].registries[{r.index}].passwordFile',
            r.password_file,
            "is written by the sidecar but no docker account reads it: add the account, or remove the registry "
            "from config.yaml (the program writes only the files its accounts read)",
        )
        for r in config_map.registries
        if posixpath.normpath(r.password_file) not in read
    )
    return tuple(fed), tuple(extra), problems


def _notes(token_sidecar: Entry, fed: tuple[tuple[Entry, ConfigYamlRegistry], ...]) -> tuple[str, ...]:
    notes = []
    own = {"name", "dockerImage", "mountPath", "configMapVolumeMounts"}
    dropped = [key for key in token_sidecar.value if key not in own]
    if dropped:
        notes.append(
            f"{token_sidecar.key}: {', '.join(dropped)} not carried over: the program builds the token-refresh "
            "sidecar itself (name, dockerImage, mountPath and its own ConfigMap mount)"
        )
    for account, _ in fed:
        halyard_only = [key for key in HALYARD_ONLY if _halyard_only(account, key)]
        if halyard_only:
            notes.append(f"{account.key}: {', '.join(halyard_only)} dropped: Halyard's own fields, not clouddriver's")
    return tuple(notes)


def _halyard_only(account: Entry, key: str) -> bool:
    if not account.halyard_style or key not in HALYARD_ONLY or key not in account.value:
        return False
    expected = HALYARD_ONLY[key]
    return expected is None or account.value[key] == expected


def registry_entry(account: Entry, registry: ConfigYamlRegistry) -> dict[str, Any]:
    """name, accountId and region from the join; every other key of the account is a clouddriver option, kept."""
    options = {
        key: value
        for key, value in account.value.items()
        if key not in DERIVED_ACCOUNT_KEYS
        and not (key == "username" and value == ECR_USERNAME)
        and not _halyard_only(account, key)
    }
    return {"name": account.name, "accountId": registry.registry_id, "region": registry.region, **options}
