"""Names and label values as the Kubernetes API server validates them (apimachinery's validation rules), and the
names this program derives: the stack label, the content-addressed ConfigMap name. Pure."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
LABEL_MAX = 63
SUBDOMAIN_MAX = 253

DNS1123_LABEL_ACCEPTED = "a DNS-1123 label (at most 63 lower-case letters, digits and '-', alphanumeric at both ends)"
DNS1123_SUBDOMAIN_ACCEPTED = (
    "a DNS-1123 subdomain (at most 253 characters: dot-separated lower-case letters, digits and '-', "
    "alphanumeric at both ends of each part)"
)


def is_dns1123_label(value: str) -> bool:
    return len(value) <= LABEL_MAX and _DNS1123_LABEL.fullmatch(value) is not None


def is_dns1123_subdomain(value: str) -> bool:
    return 0 < len(value) <= SUBDOMAIN_MAX and all(_DNS1123_LABEL.fullmatch(part) for part in value.split("."))


def is_label_value(value: str) -> bool:
    return len(value) <= LABEL_MAX and _LABEL_VALUE.fullmatch(value) is not None


def _short_hash(text: str, length: int) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def label_value(text: str) -> str:
    """`text` itself when it is a valid label value; else a valid prefix of it and a hash of the whole, so any
    Pulumi stack name (up to 100 characters) still labels objects distinctly."""
    if is_label_value(text):
        return text
    suffix = _short_hash(text, 10)
    prefix = re.sub(r"[^-A-Za-z0-9_.]", "", text)[: LABEL_MAX - len(suffix) - 1]
    prefix = re.sub(r"^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "", prefix)
    return f"{prefix}-{suffix}" if prefix else suffix


def content_hash(data: Mapping[str, str]) -> str:
    """kustomize's convention for generated ConfigMaps: a hash of the content, in letters and digits that spell no
    words (0, 1, 3, a and e replaced)."""
    digest = _short_hash(json.dumps(dict(data), sort_keys=True, separators=(",", ":")), 10)
    return digest.translate(str.maketrans("013ae", "ghkmt"))


def content_addressed_name(base: str, data: Mapping[str, str]) -> str:
    """`<base>-<hash of data>`: a change of data is a new object, so consumers roll to it and the old one goes last."""
    return f"{base}-{content_hash(data)}"
