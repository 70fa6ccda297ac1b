"""The migration steps `python -m tools.adopt` prints for the setup it read: which field managers own the lists the
program's patch will set (server-side apply treats them as atomic), when `patchForce` is needed and when to drop it,
and what is left to remove by hand (the old ConfigMap, Halyard-style accounts, sidecar lists Halyard does not read).
Pure: text out.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.model import ACCESS_MODES, PROJECT, Registry
from components.registries import password_file
from components.spinnaker_spec import clouddriver_service_names, field_manager, sidecar_key
from tools.adopt_inputs import (
    HALYARD_ACCOUNTS,
    PROFILE_ACCOUNTS,
    SERVICE_SETTINGS,
    SIDECARS,
    Path_,
    SpinnakerServiceInput,
    key_of,
)
from tools.adopt_join import Adoption, registry_entry
from tools.stack_files import stack_file


@dataclass(frozen=True)
class OwnedList:
    path: Path_
    managers: tuple[str, ...]  # the other field managers that own it, "name (Operation)"


def program_lists(service: SpinnakerServiceInput, with_volumes: bool) -> list[Path_]:
    """The lists the program's patch sets whole."""
    ha = service.clouddriver_ha
    lists = [PROFILE_ACCOUNTS, (*SIDECARS, sidecar_key(ha))]
    if with_volumes:
        lists += [(*SERVICE_SETTINGS, name, "kubernetes", "volumes") for name in clouddriver_service_names(ha)]
    return lists


def owners(managed_fields: Sequence[Mapping[str, Any]], path: Path_, own_manager: str) -> tuple[str, ...]:
    """Managers (other than this stack's, and not of the status subresource) whose fieldsV1 hold `path`."""
    found = []
    for entry in managed_fields:
        if entry.get("subresource") or entry.get("manager") == own_manager:
            continue
        fields: Any = entry.get("fieldsV1")
        for part in path:
            fields = fields.get(f"f:{part}") if isinstance(fields, dict) else None
        if fields is not None:
            found.append(f"{entry.get('manager')} ({entry.get('operation')})")
    return tuple(dict.fromkeys(found))


def list_owners(service: SpinnakerServiceInput, stack: str, with_volumes: bool) -> list[OwnedList] | None:
    """Who owns each list the program sets; None when the input carries no managedFields."""
    if service.managed_fields is None:
        return None
    manager = field_manager(PROJECT, stack)
    return [
        OwnedList(path, owners(service.managed_fields, path, manager)) for path in program_lists(service, with_volumes)
    ]


def needs_patch_force(owned: list[OwnedList] | None) -> bool:
    """Unknown owners count as other owners: a needless force on the first up costs nothing, a conflict fails it."""
    return owned is None or any(entry.managers for entry in owned)


def _json_remove(path: Path_) -> str:
    return json.dumps([{"op": "remove", "path": "/" + "/".join(str(part) for part in path)}])


def stale_sidecar_keys(service: SpinnakerServiceInput) -> list[str]:
    """Clouddriver sidecar lists Halyard will not read once the program's key is set."""
    keys = list(service.ignored_sidecar_keys)
    if service.sidecar_key is not None and service.sidecar_key != sidecar_key(service.clouddriver_ha):
        keys.append(service.sidecar_key)
    return keys


@dataclass(frozen=True)
class Step:
    text: str
    details: tuple[str, ...] = ()  # commands and listings, printed on their own lines, never wrapped


def migration_steps(adoption: Adoption, stack: str, out: str, owned: list[OwnedList] | None) -> str:
    service = adoption.service
    manager = field_manager(PROJECT, stack)
    steps = [
        Step(
            f"Write {PROJECT}:access in {out}: adopt cannot read how clouddriver reaches AWS. The commented block "
            f"there lists the modes ({', '.join(ACCESS_MODES)}) and what each needs."
        ),
        _ownership(owned, manager),
    ]
    if needs_patch_force(owned):
        steps.append(
            Step(
                f"After the first successful pulumi up, remove spinnaker.patchForce from {out}: from then on the "
                f"program's field manager {manager} owns these lists, and a forced patch would silently take over "
                "entries that others add later."
            )
        )
    steps.extend(_other_managers(service, owned))
    steps.extend(_rollout(adoption, stack, out))
    steps.extend(_leftovers(service))
    text = [f"Migration of SpinnakerService {service.namespace}/{service.name} to stack {stack}:"]
    for number, step in enumerate(steps, 1):
        text += _wrap(step.text, f"{number:2}. ", "    ")
        text += [f"      {detail}" for detail in step.details]
    changes = [*_password_file_changes(adoption), *adoption.notes]
    if changes:
        text.append("Also changed by the first pulumi up:")
        for change in changes:
            text += _wrap(change, "  - ", "    ")
    return "\n".join(text) + "\n"


def _wrap(text: str, first: str, rest: str) -> list[str]:
    """At spaces only: paths, commands and manager names stay whole."""
    return textwrap.wrap(
        text, 116, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False, break_long_words=False
    )


def _ownership(owned: list[OwnedList] | None, manager: str) -> Step:
    if owned is None:
        return Step(
            "The input has no metadata.managedFields (kubectl 1.21 and later hides them; add --show-managed-fields "
            "to see the owners). Assuming that another field manager owns the lists the program sets, adopt set "
            "spinnaker.patchForce: true for the first pulumi up."
        )
    listing = tuple(f"{key_of(o.path)}: {', '.join(o.managers) or 'no other manager'}" for o in owned)
    if not needs_patch_force(owned):
        return Step("No other field manager owns the lists the program sets: no patchForce needed.", listing)
    return Step(
        f"Other field managers own lists that the program's patch (field manager {manager}) sets whole: server-side "
        "apply treats these lists as atomic, so the first pulumi up would conflict with them. adopt set "
        "spinnaker.patchForce: true.",
        listing,
    )


def _other_managers(service: SpinnakerServiceInput, owned: list[OwnedList] | None) -> list[Step]:
    steps = []
    if service.last_applied:
        steps.append(
            Step(
                "The object carries kubectl's last-applied-configuration: delete the dockerRegistry accounts and the "
                "clouddriver sidecar list from the manifest you kubectl apply, then record that without touching the "
                "object. Otherwise a later kubectl apply overwrites the program's lists, or deletes them once they "
                "are gone from the manifest.",
                ("kubectl apply set-last-applied -f <manifest>",),
            )
        )
    appliers = sorted({m.removesuffix(" (Apply)") for o in owned or [] for m in o.managers if m.endswith("(Apply)")})
    if appliers:
        steps.append(
            Step(
                f"Remove these lists from what {', '.join(appliers)} applies: otherwise its next apply conflicts "
                "with the program, or takes the lists back when forced."
            )
        )
    return steps


def _rollout(adoption: Adoption, stack: str, out: str) -> list[Step]:
    service, config_map = adoption.service, adoption.config_map
    ns = service.namespace
    services = clouddriver_service_names(True)[1:] if service.clouddriver_ha else ("clouddriver",)
    in_stacks = Path(out).resolve() == stack_file(stack).resolve()
    move = "" if in_stacks else f" (pulumi reads stacks/Pulumi.{stack}.yaml: move {out} there first)"
    render = f"--stack {stack}" if in_stacks else f"--config-file {out} --stack {stack}"
    return [
        Step(
            f"Check offline, then apply{move}. The operator then rolls clouddriver.",
            (
                f".venv/bin/python -m tools.render {render}",
                f"pulumi preview --stack {stack}",
                f"pulumi up --stack {stack}",
            ),
        ),
        Step(
            "Wait for the rollout:",
            tuple(f"kubectl -n {ns} rollout status deployment/spin-{name}" for name in services),
        ),
        Step(
            "The program mounts its own content-named ConfigMap token-refresh-config-<hash> (stack output "
            f"configMapName); after the rollout nothing references {config_map.name} any more. Delete it by hand:",
            (f"kubectl -n {ns} delete configmap {config_map.name}",),
        ),
    ]


def _leftovers(service: SpinnakerServiceInput) -> list[Step]:
    patch = f"kubectl -n {service.namespace} patch spinnakerservice {service.name} --type json -p"
    steps = []
    halyard_accounts = [a.name for a in service.accounts if a.halyard_style]
    if halyard_accounts:
        steps.append(
            Step(
                f"Remove the Halyard-style accounts ({', '.join(halyard_accounts)}) from "
                f"{key_of(HALYARD_ACCOUNTS[:-1])}, right after the first successful up (this stack now writes them "
                "under profiles.clouddriver): Halyard copies a passwordFile there once into a Secret, so the token "
                "goes stale (spinnaker/spinnaker#2672). Delete the block from your manifest too.",
                (f"{patch} '{_json_remove(HALYARD_ACCOUNTS[:-1])}'",),
            )
        )
    for key in stale_sidecar_keys(service):
        steps.append(
            Step(
                f"Remove the sidecar list {key_of((*SIDECARS, key))}: Halyard does not read it once "
                f"sidecars.{sidecar_key(service.clouddriver_ha)} is set.",
                (f"{patch} '{_json_remove((*SIDECARS, key))}'",),
            )
        )
    return steps


def _password_file_changes(adoption: Adoption) -> list[str]:
    changes = []
    for account, registry in adoption.fed_accounts:
        new = password_file(Registry.model_validate(registry_entry(account, registry)))
        if account.value["passwordFile"] != new:
            changes.append(f"{account.name}: passwordFile {account.value['passwordFile']} becomes {new}")
    return changes
