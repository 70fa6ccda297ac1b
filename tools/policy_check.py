"""The policy pack's rules, run by the render on what it rendered: the same rules (policy/rules.py) and the same
policy config documents (`--policy-config policy/config/production.json`) a `pulumi preview --policy-pack` uses.

The pack runs on its own in the CLI with policy/ as its root, where `rules` is a top-level module; here it is
loaded from that file under its own name, so the render needs no pulumi_policy.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from tools.offline import ProgramRun

POLICY_DIR = Path(__file__).resolve().parent.parent / "policy"
PRODUCTION_CONFIG = POLICY_DIR / "config" / "production.json"
MANDATORY = "mandatory"
# The enforcement levels a `--policy-config` document may name; the Pulumi CLI refuses any other value.
LEVELS = ("advisory", "mandatory", "remediate", "disabled")


class PolicyConfigError(ValueError):
    """A --policy-config file that is missing or not a policy config document."""


@cache
def rules() -> ModuleType:
    spec = importlib.util.spec_from_file_location("spinnaker_ecr_policy_rules", POLICY_DIR / "rules.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


def read_policy_config(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PolicyConfigError(f"--policy-config: {str(path)!r} cannot be read: {error.strerror}") from error
    except json.JSONDecodeError as error:
        raise PolicyConfigError(f"--policy-config: {str(path)!r} is not JSON: {error}") from error
    if not isinstance(document, dict):
        raise PolicyConfigError(f"--policy-config: {str(path)!r} is not a JSON object of policy name -> level")
    names = {policy.name for policy in rules().POLICIES}
    unknown = sorted(set(document) - names)
    if unknown:
        raise PolicyConfigError(
            f"--policy-config: {str(path)!r} names {', '.join(unknown)}, which the pack does not have "
            f"(policies: {', '.join(sorted(names))})"
        )
    for name, value in document.items():
        if not _names_a_level(value):
            raise PolicyConfigError(
                f"--policy-config: {str(path)!r} sets {name} to {json.dumps(value)}, which is not a level "
                f"({', '.join(LEVELS)}) nor an object with an enforcementLevel of one"
            )
    return document


def _names_a_level(value: Any) -> bool:
    """A level, or an object whose enforcementLevel, if it has one, is a level (the rest are the policy's settings)."""
    if isinstance(value, dict):
        return value.get("enforcementLevel", MANDATORY) in LEVELS
    return value in LEVELS


def findings(run: ProgramRun, policy_config: dict[str, Any] | None = None) -> list[Any]:
    """What a preview of this run would report: every policy over every registered resource. As the engine does,
    resource policies see the inputs and stack policies the outputs (here the mocks' stand-ins for what the cloud
    assigns, such as the role's ARN: a preview of a deployed stack knows them, so no check is skipped for want of
    one)."""
    module = rules()

    def as_seen(r: Any, props: dict[str, Any]) -> Any:
        dependencies = {key: tuple(urns) for key, urns in r.property_dependencies.items()}
        return module.Resource(r.type, props, r.urn, r.name, tuple(r.dependencies), dependencies)

    return module.check(
        [as_seen(r, r.inputs) for r in run.resources],
        policy_config,
        stack_resources=[as_seen(r, r.outputs) for r in run.resources],
    )


def report(found: Sequence[Any]) -> list[str]:
    """One line per finding, mandatory first: `[mandatory] policy-name: message`."""
    ordered = sorted(found, key=lambda f: (f.level != MANDATORY, f.policy, f.message))
    return [f"[{f.level}] {f.policy}: {' '.join(f.message.split())}" for f in ordered]


def mandatory(found: Sequence[Any]) -> list[Any]:
    return [f for f in found if f.level == MANDATORY]
