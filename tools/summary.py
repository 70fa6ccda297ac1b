"""The summary a reviewer reads first, like a preview: every registered resource in tree order, its file and
the facts that matter (trust principal, policy ARN, registries, patch target, accounts, sidecars). Pure."""

from __future__ import annotations

import json
import textwrap
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import yaml

from components.spinnaker_spec import FIELD_MANAGER_ANNOTATION, FORCE_ANNOTATION
from tools.manifests import RenderedResource, is_patch, whole_numbers

MACHINERY_ANNOTATION_PREFIX = "pulumi.com/"
LOADER = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader


# --- Kubernetes objects -------------------------------------------------------------------------------------------


def object_reference(document: Mapping[str, Any]) -> str:
    metadata = document.get("metadata") or {}
    namespace = metadata.get("namespace")
    return f"{namespace}/{metadata.get('name')}" if namespace else str(metadata.get("name"))


def kubernetes_facts(item: RenderedResource) -> dict[str, Any]:
    document = item.document or {}
    annotations = (document.get("metadata") or {}).get("annotations") or {}
    facts: dict[str, Any] = {}
    if is_patch(item.resource):
        facts["target"] = f"{document.get('kind')} {object_reference(document)}"
        facts["fieldManager"] = annotations.get(FIELD_MANAGER_ANNOTATION)
        if annotations.get(FORCE_ANNOTATION) == "true":
            facts["force"] = True
    else:
        facts["object"] = object_reference(document)
    own = {key: value for key, value in annotations.items() if not key.startswith(MACHINERY_ANNOTATION_PREFIX)}
    if own:
        facts["annotations"] = own
    facts.update(KIND_FACTS.get(str(document.get("kind")), lambda _: {})(document))
    return {key: value for key, value in facts.items() if value is not None}


def config_map_facts(document: Mapping[str, Any]) -> dict[str, Any]:
    data = document.get("data") or {}
    facts: dict[str, Any] = {"keys": sorted(data)}
    refresh_config = parsed_yaml(data.get("config.yaml"))
    if isinstance(refresh_config, dict) and isinstance(refresh_config.get("registries"), list):
        facts["interval"] = refresh_config.get("interval")
        facts["registries"] = [f"{r.get('registryId')} {r.get('region')}" for r in refresh_config["registries"]]
    return facts


def parsed_yaml(text: Any) -> Any:
    if not isinstance(text, str):
        return None
    try:
        return yaml.load(text, Loader=LOADER)
    except yaml.YAMLError:
        return None


def spinnaker_service_facts(document: Mapping[str, Any]) -> dict[str, Any]:
    spinnaker_config = (document.get("spec") or {}).get("spinnakerConfig") or {}
    facts: dict[str, Any] = {"apiVersion": document.get("apiVersion")}
    sidecars = ((spinnaker_config.get("config") or {}).get("deploymentEnvironment") or {}).get("sidecars") or {}
    for key, entries in sorted(sidecars.items()):
        facts[f"sidecars[{key}]"] = [entry.get("name") for entry in entries]
    for service, profile in sorted((spinnaker_config.get("profiles") or {}).items()):
        accounts = ((profile or {}).get("dockerRegistry") or {}).get("accounts")
        if accounts is not None:
            facts[f"{service} accounts"] = [account.get("name") for account in accounts]
    for service, settings in sorted((spinnaker_config.get("service-settings") or {}).items()):
        kubernetes = (settings or {}).get("kubernetes") or {}
        if "serviceAccountName" in kubernetes:
            facts[f"{service} serviceAccountName"] = kubernetes["serviceAccountName"]
        if "volumes" in kubernetes:
            facts[f"{service} volumes"] = [volume.get("id") for volume in kubernetes["volumes"]]
    return facts


def external_secret_facts(document: Mapping[str, Any]) -> dict[str, Any]:
    spec = document.get("spec") or {}
    return {"refreshInterval": spec.get("refreshInterval"), "secret": (spec.get("target") or {}).get("name")}


def ecr_token_generator_facts(document: Mapping[str, Any]) -> dict[str, Any]:
    spec = document.get("spec") or {}
    return {"region": spec.get("region"), "auth": sorted(spec.get("auth") or {}) or None}


KIND_FACTS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "ConfigMap": config_map_facts,
    "SpinnakerService": spinnaker_service_facts,
    "ExternalSecret": external_secret_facts,
    "ECRAuthorizationToken": ecr_token_generator_facts,
}


# --- AWS and other cloud resources -----------------------------------------------------------------------------


def role_facts(item: RenderedResource) -> dict[str, Any]:
    policy = (item.document or {}).get("inputs", {}).get("assumeRolePolicy") or {}
    facts: dict[str, Any] = {"name": item.resource.outputs.get("name"), "arn": item.resource.outputs.get("arn")}
    statements = (policy.get("Statement") or []) if isinstance(policy, dict) else []
    facts["trust"] = [principal for statement in statements for principal in principals(statement)]
    facts["actions"] = [action for statement in statements for action in as_list(statement.get("Action"))]
    subjects = [subject for statement in statements for subject in condition_subjects(statement)]
    if subjects:
        facts["subject"] = subjects
    return facts


def principals(statement: Mapping[str, Any]) -> list[str]:
    principal = statement.get("Principal") or {}
    if not isinstance(principal, Mapping):
        return [str(principal)]
    return [f"{kind} {value}" for kind, values in sorted(principal.items()) for value in as_list(values)]


def condition_subjects(statement: Mapping[str, Any]) -> list[str]:
    """Who may assume the role through web identity: the `<issuer>:sub` condition values."""
    conditions = statement.get("Condition") or {}
    return [
        value
        for operator in conditions.values()
        for key, values in operator.items()
        if key.endswith(":sub")
        for value in as_list(values)
    ]


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def policy_attachment_facts(item: RenderedResource) -> dict[str, Any]:
    inputs = (item.document or {}).get("inputs", {})
    return {"policy": inputs.get("policyArn"), "role": inputs.get("role")}


def pod_identity_facts(item: RenderedResource) -> dict[str, Any]:
    inputs = (item.document or {}).get("inputs", {})
    return {
        "cluster": inputs.get("clusterName"),
        "serviceAccount": f"{inputs.get('namespace')}/{inputs.get('serviceAccount')}",
        "role": inputs.get("roleArn"),
    }


CLOUD_FACTS: dict[str, Callable[[RenderedResource], dict[str, Any]]] = {
    "aws:iam/role:Role": role_facts,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": policy_attachment_facts,
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": pod_identity_facts,
}


def facts(item: RenderedResource) -> dict[str, Any]:
    if item.document is None:
        return {}
    found = kubernetes_facts(item) if item.is_kubernetes else CLOUD_FACTS.get(item.resource.type, lambda _: {})(item)
    if item.resource.retain_on_delete:
        found["retainOnDelete"] = True
    return found


# --- the summary ---------------------------------------------------------------------------------------------------


def tree_order(rendered: Sequence[RenderedResource]) -> Iterator[tuple[int, RenderedResource]]:
    """Depth-first from the top component, siblings by name: registration order varies from run to run."""
    urns = {item.resource.urn for item in rendered}
    children: dict[str | None, list[RenderedResource]] = defaultdict(list)
    for item in rendered:
        children[item.resource.parent if item.resource.parent in urns else None].append(item)

    def visit(parent: str | None, depth: int) -> Iterator[tuple[int, RenderedResource]]:
        for item in sorted(children[parent], key=lambda i: (i.resource.name, i.resource.type)):
            yield depth, item
            yield from visit(item.resource.urn, depth + 1)

    return visit(None, 0)


def summary(stack: str, rendered: Sequence[RenderedResource], outputs: Mapping[str, Any]) -> dict[str, Any]:
    """The `--format json` document; also written as summary.json. No paths outside the render, no times."""
    names = {item.resource.urn: item.resource.name for item in rendered}
    resources = [
        {
            "type": item.resource.type,
            "name": item.resource.name,
            "parent": names.get(item.resource.parent),
            "depth": depth,
            "custom": item.resource.custom,
            "file": item.file,
            "facts": whole_numbers(facts(item)),
        }
        for depth, item in tree_order(rendered)
    ]
    return {"stack": stack, "resources": resources, "outputs": whole_numbers(dict(sorted(outputs.items())))}


def fact_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(fact_text(item) for item in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{key}: {fact_text(item)}" for key, item in value.items())
    if isinstance(value, str):
        return value
    return json.dumps(value)


WIDTH = 120


def _wrapped(text: str, indent: str) -> list[str]:
    """`text` in lines of at most WIDTH columns, continuation lines indented two more."""
    return textwrap.wrap(
        text, width=WIDTH, initial_indent=indent, subsequent_indent=indent + "  ", break_on_hyphens=False
    ) or [indent.rstrip()]


def summary_table(document: Mapping[str, Any]) -> str:
    """The summary as plain text within WIDTH columns: the resource tree (name, then type), each object's file and
    facts one per line beneath it, then the stack outputs."""
    lines = [f"Resources of stack {document['stack']} (name  type; file and facts beneath):"]
    for resource in document["resources"]:
        indent = "  " * (resource["depth"] + 1)
        head = f"{indent}{resource['name']}  {resource['type']}"
        lines.extend([head] if len(head) <= WIDTH else [f"{indent}{resource['name']}", f"{indent}  {resource['type']}"])
        details = [f"file={resource['file']}"] if resource["file"] else []
        details += [f"{key}={fact_text(value)}" for key, value in resource["facts"].items()]
        for detail in details:
            lines.extend(_wrapped(detail, indent + "    "))
    lines.append("")
    lines.append(f"Outputs of stack {document['stack']}:")
    for key, value in document["outputs"].items():
        lines.extend(_wrapped(f"{key}: {fact_text(value)}", "  "))
    return "\n".join(lines) + "\n"
