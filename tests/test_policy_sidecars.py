"""Sidecars beside clouddriver run with its AWS identity: none privileged or in a host namespace, every extra one
pinned by digest. The token refresh stays periodic: an ExternalSecret refreshes under 12h, never just once."""

from __future__ import annotations

from typing import Any

import pytest
from test_policy_support import (
    ADVISORY,
    DIGEST,
    MANDATORY,
    Planned,
    added,
    edited,
    findings,
    is_spinnaker_patch,
    one,
    planned,
    preview,
    production_config,
    sidecar_lists,
    with_extra_sidecars_pinned,
)

from tools.offline import ProgramRun, run_program
from tools.stack_files import stack_config

SIDECARS = "sidecars-unprivileged-and-pinned"
INTERVAL = "refresh-interval-under-12h"
EXTERNAL_SECRET = "kubernetes:external-secrets.io/v1:ExternalSecret"
PINNED = "public.ecr.aws/aws-observability/aws-for-fluent-bit@" + DIGEST


def prod_with_extra_sidecar(**fields: Any) -> list[Planned]:
    """prod with its log-shipper changed by a stack-file edit alone."""
    config = stack_config("prod")
    sidecar = config["spinnaker-ecr:spinnaker"]["extraSidecars"][0]
    sidecar.update({"dockerImage": PINNED, **fields})
    return planned(run_program(config, "prod"))


@pytest.mark.parametrize(
    "fields, fragment",
    [
        ({"securityContext": {"privileged": True}}, "privileged"),
        ({"securityContext": {"privileged": "true"}}, "privileged"),
        ({"hostNetwork": True}, "hostNetwork"),
        ({"hostPID": True}, "hostPID"),
        # Jackson coerces a non-zero integer to true.
        ({"hostNetwork": 1}, "hostNetwork"),
        ({"hostIPC": -1}, "hostIPC"),
        ({"securityContext": {"hostIPC": True}}, "hostIPC"),
        ({"dockerImage": "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.2"}, "not pinned by digest"),
        ({"dockerImage": "public.ecr.aws/aws-observability/aws-for-fluent-bit@sha256:abc"}, "not pinned by digest"),
        ({"dockerImage": PINNED + "\n"}, "not pinned by digest"),
        ({"dockerImage": None}, "not pinned by digest"),
    ],
)
def test_an_extra_sidecar_that_is_privileged_or_unpinned_is_reported(fields: dict[str, Any], fragment: str) -> None:
    resources = prod_with_extra_sidecar(**fields)
    for config, level in ((None, ADVISORY), (production_config(), MANDATORY)):
        found = one(preview(resources, config), SIDECARS, level, "sidecars.spin-clouddriver[1] 'log-shipper'")
        assert fragment in found.message, found


def test_our_token_refresh_sidecar_may_not_be_privileged_either(stack_runs: dict[str, ProgramRun]) -> None:
    def change(props: dict[str, Any]) -> None:
        sidecar_lists(props)["spin-clouddriver"][0]["securityContext"] = {"privileged": True}

    resources = with_extra_sidecars_pinned(planned(stack_runs["prod"]))
    found = preview(edited(resources, is_spinnaker_patch, change))
    one(found, SIDECARS, ADVISORY, "sidecars.spin-clouddriver[0] 'token-refresh'", "privileged")


def test_a_sidecar_under_the_ha_key_is_checked(stack_runs: dict[str, ProgramRun]) -> None:
    def change(props: dict[str, Any]) -> None:
        sidecar_lists(props)["clouddriver"].append({"name": "debug", "dockerImage": "busybox:latest"})

    found = preview(edited(planned(stack_runs["staging"]), is_spinnaker_patch, change))
    one(found, SIDECARS, ADVISORY, "sidecars.clouddriver[1] 'debug'", "busybox:latest")


@pytest.mark.parametrize(
    "fields",
    [
        {"securityContext": {"privileged": False}},
        {"securityContext": {"privileged": "false"}},
        # Halyard's Jackson refuses any other string, so only true and "true" make a privileged container.
        {"securityContext": {"privileged": "yes"}},
        {"hostNetwork": False},
        {"hostNetwork": 0},
    ],
)
def test_pinned_unprivileged_extra_sidecars_pass(fields: dict[str, Any]) -> None:
    resources = prod_with_extra_sidecar(**fields)
    assert findings(preview(resources, production_config()), SIDECARS) == []


# --- ExternalSecret: a periodic refresh under 12h ------------------------------------------------------------------


def external_secret(**spec: Any) -> dict[str, Any]:
    return {"spec": {"refreshInterval": "1h", "target": {"name": "ecr-token-us-east-1"}, **spec}}


@pytest.mark.parametrize("policy", ["CreatedOnce", "OnChange", "periodic", ""])
def test_a_refresh_policy_other_than_periodic_is_reported(stack_runs: dict[str, ProgramRun], policy: str) -> None:
    resources = added(planned(stack_runs["dev"]), EXTERNAL_SECRET, "es", external_secret(refreshPolicy=policy))
    for config, level in ((None, ADVISORY), (production_config(), MANDATORY)):
        one(preview(resources, config), INTERVAL, level, "spec.refreshPolicy", repr(policy))


def test_sync_windows_can_hold_a_refresh_past_the_token_lifetime(stack_runs: dict[str, ProgramRun]) -> None:
    windows = [{"schedule": "0 9 * * 1-5", "duration": "1h"}]
    resources = added(planned(stack_runs["dev"]), EXTERNAL_SECRET, "es", external_secret(syncWindows=windows))
    one(preview(resources), INTERVAL, ADVISORY, "spec.syncWindows")


@pytest.mark.parametrize("spec", [{"refreshPolicy": "Periodic"}, {}])
def test_a_periodic_refresh_passes(stack_runs: dict[str, ProgramRun], spec: dict[str, Any]) -> None:
    resources = added(planned(stack_runs["dev"]), EXTERNAL_SECRET, "es", external_secret(**spec))
    assert findings(preview(resources), INTERVAL) == []
