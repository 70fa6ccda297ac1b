"""Tags on what this program creates in AWS, labels on what it creates in Kubernetes."""

from collections.abc import Mapping

RESERVED_TAG_KEYS = ("project", "stack", "managed-by")


def aws_tags(project: str, stack: str, extra: Mapping[str, str]) -> dict[str, str]:
    return {**extra, "project": project, "stack": stack, "managed-by": "pulumi"}


def kubernetes_labels(project: str, stack: str) -> dict[str, str]:
    return {"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": project, "pulumi.com/stack": stack}
