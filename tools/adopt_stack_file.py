"""The stack file `python -m tools.adopt` writes from an Adoption (tools/adopt_join.py): registries with their
clouddriver options, everything else kept verbatim, `access` left to the user as a comment, and the whole checked by
the settings module before anything is written.

Pure: text out, or an AdoptError.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

from components.model import ACCESS_MODES, PROJECT, AccessMode, is_legacy_image
from components.settings import SettingsError, parse_settings
from tools.adopt_inputs import CONFIG_FILE_KEY, AdoptError
from tools.adopt_join import Adoption, registry_entry
from tools.pulumi_yaml import dump_yaml
from tools.stack_schema import SCHEMA_LINE

# Only for the settings check of the adopted file; never written (adopt cannot know how clouddriver reaches AWS).
PLACEHOLDER_ACCESS = {"mode": AccessMode.NODE_ROLE.value, "nodeRoleName": "adopt-placeholder"}
PATCH_FORCE_COMMENT = "# first pulumi up only (other field managers own the lists): remove after it succeeds"


Sources = Mapping[tuple[str | int, ...], str]


def stack_config(adoption: Adoption, *, patch_force: bool) -> tuple[dict[str, Any], dict[tuple[str | int, ...], str]]:
    """The `config:` block (without access) and, for the messages, where each entry came from."""
    service, config_map, sidecar = adoption.service, adoption.config_map, adoption.token_sidecar
    sources: dict[tuple[str | int, ...], str] = {
        ("tokenRefresh", "image"): f"{service.file}: {sidecar.key}.dockerImage",
        ("tokenRefresh", "interval"): f'{config_map.file}: data["{CONFIG_FILE_KEY}"].interval',
    }
    spinnaker: dict[str, Any] = {
        "name": service.name,
        "namespace": service.namespace,
        "apiVersion": service.api_version,
        "clouddriverHA": service.clouddriver_ha,
    }
    if patch_force:
        spinnaker["patchForce"] = True
    for key, entries in (("extraSidecars", adoption.extra_sidecars), ("extraDockerAccounts", adoption.extra_accounts)):
        if entries:
            spinnaker[key] = [dict(entry.value) for entry in entries]
            sources.update({("spinnaker", key, i): f"{service.file}: {entry.key}" for i, entry in enumerate(entries)})
    if service.volumes:
        spinnaker["extraVolumes"] = [dict(volume) for volume in service.volumes]
    registries = []
    for index, (account, registry) in enumerate(adoption.fed_accounts):
        registries.append(registry_entry(account, registry))
        sources[("registries", index)] = (
            f"{service.file}: {account.key}, fed by {config_map.file}: config.yaml registries[{registry.index}]"
        )
    config: dict[str, Any] = {}
    if len(adoption.regions) == 1:
        config["aws:region"] = adoption.regions[0]
    config[f"{PROJECT}:spinnaker"] = spinnaker
    config[f"{PROJECT}:tokenRefresh"] = {"image": sidecar.value.get("dockerImage"), "interval": config_map.interval}
    config[f"{PROJECT}:registries"] = registries
    return config, sources


def _dump(key: str, value: Any) -> list[str]:
    return ["  " + line for line in dump_yaml({key: value}).splitlines()]


def access_comment(image: Any, service_account: str | None) -> list[str]:
    """The access block the user writes: every mode and what it needs, from components.model.ACCESS_MODES."""
    lines = [
        f"# {PROJECT}:access is not adopted: how clouddriver reaches AWS is not in what kubectl printed. Write it",
        "# before pulumi up (the stack is refused without it): one mode and what that mode needs.",
    ]
    for mode, rules in ACCESS_MODES.items():
        lines.append(f"#   mode: {mode}")
        lines.extend(f"#     {key}: {why}" for key, why in rules.needs.items())
        if rules.needs_one_of:
            lines.append(f"#     {' or '.join(rules.needs_one_of)}")
    if isinstance(image, str) and is_legacy_image(image):
        modes = " or ".join(str(mode) for mode, rules in ACCESS_MODES.items() if not rules.workload_identity)
        lines.append(f"# The adopted image {image} is the legacy skuid image: it works only with mode {modes}.")
    if service_account:
        lines.append(
            f"# clouddriver runs as service account {service_account} (service-settings.clouddriver.kubernetes)."
        )
    lines += [f"# {PROJECT}:access:", f"#   mode: <{' | '.join(ACCESS_MODES)}>"]
    return ["  " + line for line in lines]


def stack_file_text(adoption: Adoption, config: Mapping[str, Any], stack: str) -> str:
    service, config_map = adoption.service, adoption.config_map
    lines = [
        SCHEMA_LINE,
        f"# {stack}: adopted by python -m tools.adopt from SpinnakerService {service.namespace}/{service.name} and "
        f"ConfigMap {service.namespace}/{config_map.name}.",
        "config:",
    ]
    if "aws:region" in config:
        lines += _dump("aws:region", config["aws:region"])
    else:
        lines.append(
            f"  # aws:region is not set: the registries are in {', '.join(adoption.regions)}. Set the region of "
            "this stack's AWS provider."
        )
    lines += access_comment(adoption.token_sidecar.value.get("dockerImage"), service.service_account_name)
    for key, value in config.items():
        if key != "aws:region":
            lines += _dump(key, value)
    text = "\n".join(lines) + "\n"
    return re.sub(r"^(    patchForce: true)$", rf"\1  {PATCH_FORCE_COMMENT}", text, flags=re.MULTILINE)


def check_stack_file(text: str, stack: str, sources: Sources, out: str) -> None:
    """Refuses, naming each problem and its source, what the settings module would refuse once access is written."""
    config = yaml.safe_load(text)["config"]
    ours = {key.partition(":")[2]: value for key, value in config.items() if key.partition(":")[0] == PROJECT}
    try:
        parse_settings(
            {**ours, "access": PLACEHOLDER_ACCESS},
            project=PROJECT,
            stack=stack,
            region=config.get("aws:region"),
        )
    except SettingsError as error:
        raise AdoptError(
            [f"{out} would be refused by the program: {problem}{_source(problem, sources)}" for problem in error.found]
        ) from None


def _source(problem: Any, sources: Sources) -> str:
    key = (problem.config_key.partition(":")[2], *problem.path)
    for length in range(len(key), 0, -1):
        if key[:length] in sources:
            return f" (from {sources[key[:length]]})"
    return ""
