"""The rules compare resource types by equality: a type that sorts just before or just after one the pack knows is not
that resource, for resource and stack rules alike."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from test_policy_support import (
    LEGACY_IMAGE,
    Planned,
    accounts,
    edited,
    is_spinnaker_patch,
    planned,
    rules,
    sidecar_lists,
)

from tools.offline import ProgramRun, run_program
from tools.stack_files import stack_config

ADMINISTRATOR_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
RESOURCE_RULES = [p for p in rules.POLICIES if p.scope is rules.Scope.RESOURCE and p.rule is not None]
STACK_RULES = [p for p in rules.POLICIES if p.scope is rules.Scope.STACK and p.rule is not None]


def neighbours(resource_type: str) -> list[str]:
    """The type with its last character one lower (sorts just before) and with a character added (just after)."""
    return [resource_type[:-1] + chr(ord(resource_type[-1]) - 1), resource_type + "~"]


BROKEN = [
    (
        rules.ROLE,
        {
            "assumeRolePolicy": json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*"}]}),
            "managedPolicyArns": [ADMINISTRATOR_ARN],
            "inlinePolicies": [{"name": "extra", "policy": "{}"}],
        },
    ),
    (rules.ROLE, {"assumeRolePolicy": "{not json"}),
    (rules.CONFIG_MAP, {"data": {"config.yaml": "interval: 24h\nregistries: []\n"}}),
    (rules.ROLE_POLICY_ATTACHMENT, {"policyArn": ADMINISTRATOR_ARN}),
    (rules.POLICY_ATTACHMENT, {"policyArn": ADMINISTRATOR_ARN}),
    (rules.ROLE_POLICY, {"name": "extra", "policy": "{}"}),
    ("kubernetes:external-secrets.io/v1:ExternalSecret", {"spec": {"refreshPolicy": "CreatedOnce"}}),
]


@pytest.mark.parametrize("resource_type, props", BROKEN, ids=[t for t, _ in BROKEN])
def test_a_resource_rule_judges_only_its_own_type(resource_type: str, props: dict[str, Any]) -> None:
    judged = [p.name for p in RESOURCE_RULES if p.rule(resource_type, props)]
    assert set(judged) - {"resource-types-allow-listed"}, "the broken props must be caught under their own type"
    for neighbour in neighbours(resource_type):
        caught = {p.name: p.rule(neighbour, props) for p in RESOURCE_RULES if p.name != "resource-types-allow-listed"}
        assert caught == {name: [] for name in caught}, neighbour


def stack_findings(resources: list[Planned]) -> dict[str, list[str]]:
    viewed = [rules.Resource(r.type, r.outputs, r.urn, r.name, tuple(r.dependencies)) for r in resources]
    return {p.name: [v.message for v in rules.evaluate_stack(p, viewed).violations] for p in STACK_RULES}


def retyped(resources: list[Planned], index: int, resource_type: str) -> list[Planned]:
    changed = copy.deepcopy(resources)
    changed[index].type = resource_type
    return changed


def with_sidecar_image(image: str) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        sidecar_lists(props)[next(iter(sidecar_lists(props)))][0]["dockerImage"] = image

    return change


def broken_stacks(stack_runs: dict[str, ProgramRun]) -> dict[str, list[Planned]]:
    prod = planned(stack_runs["prod"])
    association = rules.POD_IDENTITY_ASSOCIATION
    thief = {
        "name": "mirror",
        "address": "https://registry.attacker.example",
        "username": "AWS",
        "passwordFile": "/etc/passwords/ecr-prod-use1.pass",
    }
    stacks = {
        "legacy-image-with-irsa": edited(
            planned(stack_runs["staging"]), is_spinnaker_patch, with_sidecar_image(LEGACY_IMAGE)
        ),
        "legacy-image-with-pod-identity": edited(prod, is_spinnaker_patch, with_sidecar_image(LEGACY_IMAGE)),
        "token-to-another-host": edited(prod, is_spinnaker_patch, lambda p: accounts(p).append(thief)),
        "registry-nobody-reads": edited(prod, is_spinnaker_patch, lambda p: accounts(p).pop(0)),
        "association-to-another-role": edited(
            prod, lambda r: r.type == association, lambda p: p.update(roleArn="arn:aws:iam::999988887777:role/x")
        ),
    }
    config = stack_config("staging")
    config["spinnaker-ecr:tokenRefresh"] = {"method": "external-secrets"}
    from_secret = {**thief, "passwordFile": "/etc/ecr/eu-west-1/password"}
    stacks["token-from-a-secret-to-another-host"] = edited(
        planned(run_program(config, "staging")), is_spinnaker_patch, lambda p: accounts(p).append(from_secret)
    )
    second = copy.deepcopy(next(r for r in prod if r.type == association))
    second.urn, second.name = second.urn + "-2", "second"
    stacks["two-associations"] = [*prod, second]
    return stacks


def test_a_stack_rule_ignores_a_resource_of_a_neighbouring_type(stack_runs: dict[str, ProgramRun]) -> None:
    """Retyped to a neighbour, a resource counts as much as a resource that is not there at all."""
    for name, resources in broken_stacks(stack_runs).items():
        assert any(stack_findings(resources).values()), name
        for index, resource in enumerate(resources):
            without = stack_findings(resources[:index] + resources[index + 1 :])
            for neighbour in neighbours(resource.type):
                assert stack_findings(retyped(resources, index, neighbour)) == without, (name, neighbour)
