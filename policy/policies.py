"""The pack's policies: each entry of `rules.POLICIES` as a pulumi_policy policy with its enforcement level.

The one adapter between pulumi_policy and the rules: props arrive in pulumi_policy's unknown-checking proxy and leave
as plain data with `rules.UNKNOWN` where the engine's value is not known yet, so the rules decide what an unknown
means (tests/test_policy_unknowns.py fails if pulumi_policy changes how it marks them). Importing this module starts
nothing (`PolicyPack(...)` in __main__.py serves and blocks), so tests import it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import rules
from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

PACK_NAME = "spinnaker-ecr"
LEVELS = {rules.MANDATORY: EnforcementLevel.MANDATORY, rules.ADVISORY: EnforcementLevel.ADVISORY}


def plain(value: Any) -> Any:
    """pulumi_policy's props as plain dicts and lists, with rules.UNKNOWN for each value the engine does not know."""
    if isinstance(value, Mapping):
        return {key: _read(lambda key=key: value[key]) for key in value}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [_read(lambda index=index: value[index]) for index in range(len(value))]
    return value


def _read(get: Callable[[], Any]) -> Any:
    try:
        return plain(get())
    except UnknownValueError:
        return rules.UNKNOWN


def _resource_validation(policy: rules.Policy) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        resource = rules.Resource(args.resource_type, plain(args.props), args.urn, args.name)
        for violation in rules.evaluate_resource(policy, resource).violations:
            report_violation(violation.message, None)

    return validate


def _stack_validation(policy: rules.Policy) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [
            rules.Resource(
                r.resource_type,
                plain(r.props),
                r.urn,
                r.name,
                tuple(d.urn for d in r.dependencies),
                {key: tuple(d.urn for d in deps) for key, deps in r.property_dependencies.items()},
            )
            for r in args.resources
        ]
        for violation in rules.evaluate_stack(policy, resources, args.get_config()).violations:
            report_violation(violation.message, violation.urn or None)

    return validate


def _pack_policy(policy: rules.Policy) -> Policy:
    schema = PolicyConfigSchema(properties=dict(policy.config_schema)) if policy.config_schema else None
    if policy.scope is rules.Scope.RESOURCE:
        return ResourceValidationPolicy(
            name=policy.name,
            description=policy.description,
            validate=_resource_validation(policy),
            enforcement_level=LEVELS[policy.level],
            config_schema=schema,
        )
    return StackValidationPolicy(
        name=policy.name,
        description=policy.description,
        validate=_stack_validation(policy),
        enforcement_level=LEVELS[policy.level],
        config_schema=schema,
    )


# Production stacks make the advisory ones mandatory: their workflow jobs pass policy/config/production.json.
policies = [_pack_policy(policy) for policy in rules.POLICIES]
