"""End to end against our fake ECR endpoint: one region silent, trickling or answering nonsense stays that region's
failure, bounded by the call deadline; the other regions are written on time."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fake_ecr import fake_ecr, fake_password, good_answer
from sidecar_processes import Sidecar, wait_until

StartSidecar = Callable[..., Sidecar]

REGIONS = ("us-east-1", "eu-west-1", "ap-south-1")


def write_config(directory: Path, interval: str = "30m") -> Path:
    lines = [f"interval: {interval}", "registries:"]
    for index, region in enumerate(REGIONS):
        lines += [
            f'  - registryId: "{index + 1:012d}"',
            f"    region: {region}",
            f"    passwordFile: {directory / 'passwords' / f'{region}.pass'}",
        ]
    config = directory / "config.yaml"
    config.write_text("\n".join(lines) + "\n")
    return config


def password_of(directory: Path, region: str) -> str | None:
    path = directory / "passwords" / f"{region}.pass"
    return path.read_text() if path.exists() else None


def test_once_stops_waiting_for_a_trickling_region_at_the_deadline_and_writes_the_others(
    sidecars: StartSidecar, tmp_path: Path
) -> None:
    with fake_ecr({"us-east-1": "trickle"}) as endpoint:
        started = time.monotonic()
        sidecar = sidecars(write_config(tmp_path), endpoint.url, "--once", "--call-deadline", "500ms")
        assert sidecar.finish() == 1
        elapsed = time.monotonic() - started
    # Without the deadline the trickle never ends: botocore's read timeout restarts with every byte.
    assert elapsed < 8
    assert password_of(tmp_path, "us-east-1") is None
    assert [password_of(tmp_path, region) for region in REGIONS[1:]] == [fake_password(r) for r in REGIONS[1:]]
    (failed,) = sidecar.events("get_authorization_token_failed")
    assert failed["region"] == "us-east-1"
    assert failed["error"] == "NoAnswerInTime: no answer within 0.5 s (connect, retries and reads)"
    # The others were written as their answers came, before the deadline.
    written = [event["time"] for event in sidecar.events("password_written")]
    assert max(written) < failed["time"]
    assert sidecar.stderr == ""


def test_the_daemon_keeps_a_hanging_regions_failure_to_its_own_registry_in_health(
    sidecars: StartSidecar, tmp_path: Path
) -> None:
    with fake_ecr({"eu-west-1": "hang"}) as endpoint:
        sidecar = sidecars(
            write_config(tmp_path, interval="200ms"), endpoint.url, "--health-port", "0", "--call-deadline", "300ms"
        )

        def states() -> dict[str, Any] | None:
            _, body = sidecar.health()
            by_region = {entry["region"]: entry for entry in body["registries"]}
            return (
                by_region
                if by_region["eu-west-1"]["lastError"] and len(sidecar.events("round_finished")) >= 3
                else None
            )

        by_region = wait_until(states, what="three rounds with the hanging region failed")
        assert by_region["eu-west-1"]["state"] == "pending"
        assert by_region["us-east-1"]["state"] == by_region["ap-south-1"]["state"] == "fresh"
        # One call in flight for the hanging region, whatever the number of rounds.
        assert endpoint.calls.count("eu-west-1") == 1
        assert endpoint.calls.count("us-east-1") >= 3
        errors = {event["error"].split(":")[0] for event in sidecar.events("get_authorization_token_failed")}
        assert errors == {"NoAnswerInTime", "PreviousCallRunning"}
        # A call left running in a thread holds up neither the stop nor the exit.
        code, elapsed = sidecar.stop()
    assert code == 0
    assert elapsed < 2.0
    assert sidecar.stderr == ""


def test_answers_of_any_shape_stay_their_regions_failure(sidecars: StartSidecar, tmp_path: Path) -> None:
    behaviours = {
        # Without a time zone: it once raised a TypeError outside the per-call try and ended the daemon.
        "us-east-1": good_answer("us-east-1", expires_at="2030-01-01T00:00:00"),
        "eu-west-1": {"authorizationData": "not a list"},
        "ap-south-1": "ok",
    }
    with fake_ecr(behaviours) as endpoint:
        sidecar = sidecars(write_config(tmp_path), endpoint.url, "--once")
        assert sidecar.finish() == 1
    assert password_of(tmp_path, "us-east-1") == fake_password("us-east-1")
    assert password_of(tmp_path, "eu-west-1") is None
    assert password_of(tmp_path, "ap-south-1") == fake_password("ap-south-1")
    (failed,) = sidecar.events("get_authorization_token_failed")
    assert failed["region"] == "eu-west-1"
    assert sidecar.events("once_finished")[0]["ok"] is False
    assert sidecar.stderr == ""
