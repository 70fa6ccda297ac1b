"""Tags on what this program creates in AWS, labels on what it creates in Kubernetes."""

from collections.abc import Mapping

from components.kubernetes_names import label_value

RESERVED_TAG_KEYS = ("project", "stack", "managed-by")


def aws_tags(project: str, stack: str, extra: Mapping[str, str]) -> dict[str, str]:
    return {**extra, "project": project, "stack": stack, "managed-by": "pulumi"}


def kubernetes_labels(project: str, stack: str) -> dict[str, str]:
    # A Pulumi stack name may have 100 characters, a label value 63: long names are shortened with a hash.
    return {
        "app.kubernetes.io/managed-by": "pulumi",
        "app.kubernetes.io/part-of": project,
        "pulumi.com/stack": label_value(stack),
    }
