"""What a program run registered, as the files a reviewer reads: one YAML file per Kubernetes object (or patch
body) under `kubernetes/`, one JSON file per other cloud resource under `<package>/` (`aws/`, ...).

Pure: a ProgramRun in, documents and their text out. Nothing here knows which resources the program makes today,
so a new Kubernetes kind or AWS type renders without a change here.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from tools.offline import ProgramRun, Registered

KUBERNETES_DIR = "kubernetes"
PATCH_SUFFIX = "Patch"
OBJECT_HEAD = ("apiVersion", "kind", "metadata")


@dataclass(frozen=True)
class RenderedResource:
    """One registered resource, and the file that shows it (None for components and providers)."""

    resource: Registered
    file: str | None
    document: dict[str, Any] | None

    @property
    def is_kubernetes(self) -> bool:
        return self.file is not None and self.file.startswith(f"{KUBERNETES_DIR}/")

    @property
    def kind(self) -> str | None:
        """The Kubernetes kind of the object, or of the object a patch targets; None for other resources."""
        return str(self.document.get("kind")) if self.is_kubernetes and self.document else None

    @property
    def object_name(self) -> str | None:
        return ((self.document or {}).get("metadata") or {}).get("name") if self.is_kubernetes else None


# --- values ---------------------------------------------------------------------------------------------------


def whole_numbers(value: Any) -> Any:
    """The mock wire makes every number a float: integral ones go back to ints (60.0 -> 60)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {key: whole_numbers(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [whole_numbers(item) for item in value]
    return value


def policy_documents_parsed(value: Any) -> Any:
    """Policy documents as JSON objects instead of strings. Not for Kubernetes objects: their strings are data."""
    if isinstance(value, str):
        return policy_document(value) or value
    if isinstance(value, Mapping):
        return {key: policy_documents_parsed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [policy_documents_parsed(item) for item in value]
    return value


def policy_document(text: str) -> dict[str, Any] | None:
    """An IAM policy document (anything with a Statement) held in a string input, parsed; else None."""
    if not text.lstrip().startswith("{"):
        return None
    try:
        document = json.loads(text)
    except ValueError:
        return None
    return document if isinstance(document, dict) and "Statement" in document else None


def sorted_keys(value: Any) -> Any:
    """Same content, keys in sorted order at every level: the engine's wire does not keep the program's order."""
    if isinstance(value, Mapping):
        return {key: sorted_keys(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [sorted_keys(item) for item in value]
    return value


# --- Kubernetes ---------------------------------------------------------------------------------------------------


def is_kubernetes_object(resource: Registered) -> bool:
    return resource.custom and resource.type.startswith("kubernetes:")


def is_patch(resource: Registered) -> bool:
    return resource.type.endswith(PATCH_SUFFIX)


def api_version_and_kind(type_token: str) -> tuple[str, str]:
    """`kubernetes:core/v1:ConfigMap` -> (v1, ConfigMap); `kubernetes:spinnaker.io/v1alpha2:SpinnakerServicePatch`
    -> (spinnaker.io/v1alpha2, SpinnakerService)."""
    _, group_version, kind = type_token.split(":", 2)
    return group_version.removeprefix("core/"), kind.removesuffix(PATCH_SUFFIX)


def kubernetes_object(resource: Registered) -> dict[str, Any]:
    """The object (or patch body) exactly as registered; an auto-named object gets the placeholder name the
    offline run assigned, the same one the objects that refer to it carry."""
    body = sorted_keys(whole_numbers(resource.inputs))
    api_version, kind = api_version_and_kind(resource.type)
    body.setdefault("apiVersion", api_version)
    body.setdefault("kind", kind)
    metadata = dict(body.get("metadata") or {})
    assigned = (resource.outputs.get("metadata") or {}).get("name")
    if "name" not in metadata and assigned and not is_patch(resource):
        metadata["name"] = assigned
        body["metadata"] = sorted_keys(metadata)
    head = {key: body[key] for key in OBJECT_HEAD if key in body}
    return {**head, **{key: value for key, value in body.items() if key not in head}}


def object_file_stem(resource: Registered, document: Mapping[str, Any], *, with_namespace: bool) -> str:
    """`<kind>-<name>`, `-patch` for a patch body; the name the program gave, else its logical name (no placeholder
    in a file name)."""
    given = (resource.inputs.get("metadata") or {}).get("name") or resource.name
    parts = [str(document["kind"]).lower()]
    if with_namespace:
        parts.append((document.get("metadata") or {}).get("namespace") or "cluster")
    parts.append(given)
    if is_patch(resource):
        parts.append("patch")
    return "-".join(safe_file_part(part) for part in parts)


# --- other cloud resources -----------------------------------------------------------------------------------------


def is_provider(resource: Registered) -> bool:
    return resource.type.startswith("pulumi:providers:")


def cloud_resource(resource: Registered) -> dict[str, Any]:
    inputs = sorted_keys(policy_documents_parsed(whole_numbers(resource.inputs)))
    return {"type": resource.type, "name": resource.name, "inputs": inputs}


def cloud_file_stems(resource: Registered) -> tuple[str, str]:
    """`<logical name>`, or `<logical name>-<type>` where two types share a logical name."""
    kind = resource.type.rsplit(":", 1)[-1].lower()
    return safe_file_part(resource.name), safe_file_part(f"{resource.name}-{kind}")


def package_of(type_token: str) -> str:
    return type_token.split(":", 1)[0]


def safe_file_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "unnamed"


# --- files --------------------------------------------------------------------------------------------------------


def rendered_resources(run: ProgramRun) -> list[RenderedResource]:
    """Every registered resource with its document and a unique, stable file name."""
    rendered = []
    kubernetes = [r for r in run.resources if is_kubernetes_object(r)]
    documents = {r.urn: kubernetes_object(r) for r in kubernetes}
    object_files = unique_names(
        {
            r.urn: (
                object_file_stem(r, documents[r.urn], with_namespace=False),
                object_file_stem(r, documents[r.urn], with_namespace=True),
            )
            for r in kubernetes
        }
    )
    others = [r for r in run.resources if r.custom and not is_kubernetes_object(r) and not is_provider(r)]
    other_files = unique_names({r.urn: cloud_file_stems(r) for r in others})
    for resource in run.resources:
        if resource.urn in documents:
            file = f"{KUBERNETES_DIR}/{object_files[resource.urn]}.yaml"
            rendered.append(RenderedResource(resource, file, documents[resource.urn]))
        elif resource.urn in other_files:
            file = f"{package_of(resource.type)}/{other_files[resource.urn]}.json"
            rendered.append(RenderedResource(resource, file, cloud_resource(resource)))
        else:
            rendered.append(RenderedResource(resource, None, None))
    return rendered


def unique_names(options: Mapping[str, tuple[str, str]]) -> dict[str, str]:
    """Per key, its usual name, or its longer one where two keys share the usual; never two keys one name."""
    usual = Counter(usual for usual, _ in options.values())
    chosen = {key: names[0] if usual[names[0]] == 1 else names[1] for key, names in options.items()}
    clashes = sorted(name for name, count in Counter(chosen.values()).items() if count > 1)
    if clashes:
        raise ValueError(f"two rendered resources would share the file name(s) {clashes}")
    return chosen


def resource_files(rendered: Iterable[RenderedResource]) -> dict[str, str]:
    """Relative path -> file text, for every resource that has a file."""
    files = {}
    for item in rendered:
        if item.file is None or item.document is None:
            continue
        files[item.file] = yaml_text(item.document) if item.file.endswith(".yaml") else json_text(item.document)
    return files


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Block style for multi-line strings, so an embedded file (a ConfigMap's config.yaml) reads as itself.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _manifest_dumper(base: type[yaml.SafeDumper]) -> type[yaml.SafeDumper]:
    dumper = type(f"Manifest{base.__name__}", (base,), {})
    dumper.add_representer(str, _represent_str)
    return dumper


PURE_DUMPER = _manifest_dumper(yaml.SafeDumper)
# libyaml's emitter when installed: the same bytes (tests/test_render_manifests.py checks), several times faster.
DUMPER = _manifest_dumper(yaml.CSafeDumper) if yaml.__with_libyaml__ else PURE_DUMPER


def yaml_text(document: Any, dumper: type[yaml.SafeDumper] = DUMPER) -> str:
    # Wide lines: a folded image digest or ARN would make a diff noisier than the change.
    return yaml.dump(document, Dumper=dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=4096)


def json_text(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
