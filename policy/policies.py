"""The pack's policies: each rule of `rules` wrapped as a pulumi_policy policy with its enforcement level.

Importing this module starts nothing (`PolicyPack(...)` in __main__.py serves and blocks), so tests import it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import rules
from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

PACK_NAME = "spinnaker-ecr"

ResourceRule = Callable[[str, Mapping[str, Any]], list[str]]


def _resource_validation(rule: ResourceRule) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        for message in rule(args.resource_type, args.props):
            report_violation(message, None)

    return validate


def _resource_policy(name: str, rule: ResourceRule, level: EnforcementLevel) -> ResourceValidationPolicy:
    return ResourceValidationPolicy(
        name=name,
        description=(rule.__doc__ or name).split("\n\n")[0].replace("\n", " "),
        validate=_resource_validation(rule),
        enforcement_level=level,
    )


def _validate_stack(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    resources = [rules.Resource(r.resource_type, r.props, r.urn, r.name) for r in args.resources]
    for violation in rules.no_legacy_image_with_workload_identity(resources):
        report_violation(violation.message, violation.urn or None)


MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY

policies = [
    _resource_policy("ecr-read-only-managed-policy", rules.ecr_read_only_only, MANDATORY),
    _resource_policy("irsa-trust-single-service-account", rules.irsa_trust_scoped, MANDATORY),
    _resource_policy("pod-identity-trust-only", rules.pod_identity_trust_only, MANDATORY),
    StackValidationPolicy(
        name="no-legacy-image-with-workload-identity",
        description=(rules.no_legacy_image_with_workload_identity.__doc__ or "").replace("\n", " "),
        validate=_validate_stack,
        enforcement_level=MANDATORY,
    ),
    _resource_policy("password-files-under-shared-mount", rules.password_files_under_mount, MANDATORY),
    # Mandatory on production stacks: their workflow jobs pass policy/config/production.json.
    _resource_policy("token-refresh-image-pinned-by-digest", rules.token_refresh_image_pinned, ADVISORY),
    _resource_policy("refresh-interval-under-12h", rules.refresh_interval_under_token_lifetime, ADVISORY),
]
