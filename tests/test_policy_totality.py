"""No exception escapes a rule: odd values get a violation, a rule that fails says so; anchors refuse a trailing
newline; the Go-duration parser only ever raises ValueError."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from test_policy_support import (
    ADVISORY,
    MANDATORY,
    UNKNOWN,
    accounts,
    added,
    edited,
    is_spinnaker_patch,
    of_type,
    one,
    planned,
    preview,
    production_config,
    rules,
    sidecar_lists,
)

from tests.sidecar.duration_cases import CASES
from tools.offline import ProgramRun

ECR_READ_ONLY_ARN = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"
EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret"


def with_interval(interval: str) -> Any:
    def change(props: dict[str, Any]) -> None:
        props["data"]["config.yaml"] = props["data"]["config.yaml"].replace("interval: 30m", f"interval: {interval}")

    return change


@pytest.mark.parametrize("interval", ["99999999999h", "9" * 400 + "h", "2562048h", "-99999999999h"])
def test_an_overflowing_interval_is_a_violation_not_an_exception(
    stack_runs: dict[str, ProgramRun], interval: str
) -> None:
    resources = edited(planned(stack_runs["dev"]), of_type(rules.CONFIG_MAP), with_interval(interval))
    one(preview(resources), "refresh-interval-under-12h", ADVISORY, "data.config.yaml interval", interval)


def test_an_overflowing_external_secret_interval_is_a_violation(stack_runs: dict[str, ProgramRun]) -> None:
    spec = {"refreshInterval": "99999999999h", "target": {"name": "ecr-token-us-east-1"}}
    resources = added(planned(stack_runs["dev"]), EXTERNAL_SECRET, "ecr-token-us-east-1", {"spec": spec})
    one(preview(resources), "refresh-interval-under-12h", ADVISORY, "spec.refreshInterval", "99999999999h")


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[repr(text) for text, _ in CASES])
def test_the_interval_rule_reads_durations_with_the_shared_parser(text: str, expected: int | type[ValueError]) -> None:
    """The pack takes the sidecar's Go-duration parser and keeps its own range: above 0, under the token lifetime."""
    problem = rules._interval_problem("interval", text)
    if expected is ValueError or expected <= 0 or expected >= rules.TOKEN_LIFETIME_NANOSECONDS:
        assert problem is not None and problem.startswith("interval:"), problem
    else:
        assert problem is None


@pytest.mark.parametrize("value", [None, 30, 1.5, b"1h", ["1h"]])
def test_the_interval_rule_refuses_what_is_not_text(value: Any) -> None:
    assert rules._interval_problem("interval", value) is not None


def test_a_trailing_newline_does_not_pass_the_ecr_arn(stack_runs: dict[str, ProgramRun]) -> None:
    attachment = rules.ROLE_POLICY_ATTACHMENT
    resources = edited(
        planned(stack_runs["dev"]), of_type(attachment), lambda p: p.update(policyArn=ECR_READ_ONLY_ARN + "\n")
    )
    one(preview(resources), "ecr-read-only-managed-policy", MANDATORY, "policyArn")


def test_a_trailing_newline_does_not_pass_the_digest(stack_runs: dict[str, ProgramRun]) -> None:
    def change(props: dict[str, Any]) -> None:
        image = sidecar_lists(props)["spin-clouddriver"][0]["dockerImage"]
        sidecar_lists(props)["spin-clouddriver"][0]["dockerImage"] = image + "\n"

    found = preview(edited(planned(stack_runs["prod"]), is_spinnaker_patch, change))
    one(found, "token-refresh-image-pinned-by-digest", ADVISORY, "not pinned by digest")


def test_a_trailing_newline_does_not_pass_the_subject(stack_runs: dict[str, ProgramRun]) -> None:
    def change(props: dict[str, Any]) -> None:
        props["assumeRolePolicy"] = props["assumeRolePolicy"].replace(
            '"system:serviceaccount:spinnaker-staging:spin-clouddriver"',
            '"system:serviceaccount:spinnaker-staging:spin-clouddriver\\n"',
        )

    found = preview(edited(planned(stack_runs["staging"]), of_type(rules.ROLE), change))
    one(found, "irsa-trust-single-service-account", MANDATORY, "is not system:serviceaccount:<ns>:<name>")


def test_the_audience_message_reads_well(stack_runs: dict[str, ProgramRun]) -> None:
    def change(props: dict[str, Any]) -> None:
        props["assumeRolePolicy"] = props["assumeRolePolicy"].replace(":aud", ":audience")

    message = one(
        preview(edited(planned(stack_runs["staging"]), of_type(rules.ROLE), change)),
        "irsa-trust-single-service-account",
        MANDATORY,
    ).message
    assert "equal to one audience (the keys" in message and "one an audience" not in message


def test_a_rule_that_fails_reports_a_violation_at_its_level(
    stack_runs: dict[str, ProgramRun], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The safety net: any exception a rule raises becomes a violation naming the rule and the error."""

    def broken(text: str) -> timedelta:
        raise RuntimeError("boom")

    monkeypatch.setattr(rules, "parse_go_duration", broken)
    for config, level in ((None, ADVISORY), (production_config(), MANDATORY)):
        found = one(
            preview(planned(stack_runs["dev"]), config),
            "refresh-interval-under-12h",
            level,
            "failed",
            "RuntimeError: boom",
        )
        assert "token-refresh-config" in found.message


def test_a_stack_rule_that_fails_reports_a_violation(
    stack_runs: dict[str, ProgramRun], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(resource: Any) -> str | None:
        raise KeyError("boom")

    monkeypatch.setattr(rules, "_workload_identity", broken)
    one(
        preview(planned(stack_runs["staging"])),
        "no-legacy-image-with-workload-identity",
        MANDATORY,
        "failed",
        "KeyError",
    )


# --- every rule over odd values ---------------------------------------------------------------------------------

ODD_VALUES: list[Any] = [None, 0, -1, 1.5, 10**400 // 10**390, True, "", "x\n", "\u0663", [], {}, [None], {"": None}]


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to a value inside `value`, the root excluded."""
    children: Any = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield (*prefix, key)
        yield from paths(child, (*prefix, key))


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    value = copy.deepcopy(value)
    target = value
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return value


def odd_variants(props: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for path, odd in itertools.product(list(paths(props)), ODD_VALUES):
        yield replaced(props, path, odd)
    yield from (dict.fromkeys(props, odd) for odd in ODD_VALUES)


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_resource_rule_returns_messages_for_any_odd_value(stack: str, stack_runs: dict[str, ProgramRun]) -> None:
    resource_policies = [p for p in rules.POLICIES if p.scope is rules.Scope.RESOURCE and p.rule is not None]
    for resource in stack_runs[stack].resources:
        for props in odd_variants(resource.inputs):
            for policy in resource_policies:
                messages = policy.rule(resource.type, props)
                assert isinstance(messages, list) and all(isinstance(m, str) for m in messages), policy.name


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_stack_rule_returns_violations_for_any_odd_value(stack: str, stack_runs: dict[str, ProgramRun]) -> None:
    stack_policies = [p for p in rules.POLICIES if p.scope is rules.Scope.STACK and p.rule is not None]
    resources = [
        rules.Resource(r.type, r.outputs, r.urn, r.name, tuple(r.dependencies)) for r in stack_runs[stack].resources
    ]
    for index, resource in enumerate(resources):
        for props in odd_variants(dict(resource.props)):
            changed = [
                *resources[:index],
                rules.Resource(resource.type, props, resource.urn, resource.name),
                *resources[index + 1 :],
            ]
            for policy in stack_policies:
                violations = policy.rule(changed, {})
                assert all(isinstance(v, rules.Violation) for v in violations), policy.name


def test_an_unknown_value_is_never_an_odd_value_crash(stack_runs: dict[str, ProgramRun]) -> None:
    """The engine's unknown sentinel where any string was: the pack still answers, without an exception."""
    for resource in planned(stack_runs["staging"]):
        for path in paths(resource.inputs):
            changed = copy.deepcopy(resource)
            changed.inputs = replaced(resource.inputs, path, UNKNOWN)
            changed.outputs = replaced(resource.inputs, path, UNKNOWN)
            others = [r for r in planned(stack_runs["staging"]) if r.urn != resource.urn]
            found = preview([*others, changed])
            assert all("can't run" not in d.message and "failed" not in d.message for d in found), found


def test_the_odd_value_sweep_reaches_every_kind_of_resource(stack_runs: dict[str, ProgramRun]) -> None:
    types = {r.type for run in stack_runs.values() for r in run.resources}
    assert {rules.ROLE, rules.CONFIG_MAP, rules.POD_IDENTITY_ASSOCIATION} <= types
    assert any(rules.is_spinnaker_service(t) for t in types)
    assert accounts(next(r for r in planned(stack_runs["prod"]) if is_spinnaker_patch(r)).inputs)
