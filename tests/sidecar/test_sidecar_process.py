"""End to end: the sidecar as a separate process against moto's server on loopback, as in a pod."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from sidecar_processes import MODULE_ENTRY, MOTO_PASSWORD, Sidecar, console_script_entry, wait_until

from tools.local_aws import MotoServer, free_port, local_aws_env

StartSidecar = Callable[..., Sidecar]

# Two regions; leading zeros in one id; one file in a directory that does not exist yet.
REGISTRIES = [
    ("123456789012", "us-east-1", "prod.pass"),
    ("012345678901", "us-east-1", "legacy/legacy.pass"),
    ("210987654321", "eu-west-1", "eu.pass"),
    ("000000000042", "eu-west-1", "eu-two.pass"),
]


def write_config(directory: Path, interval: str, registries: list[tuple[str, str, str]] = REGISTRIES) -> Path:
    lines = [f"interval: {interval}", "registries:"]
    for registry_id, region, name in registries:
        lines += [
            f'  - registryId: "{registry_id}"',
            f"    region: {region}",
            f"    passwordFile: {directory / 'passwords' / name}",
        ]
    config = directory / "config.yaml"
    config.write_text("\n".join(lines) + "\n")
    return config


def password_file(directory: Path, name: str) -> Path:
    return directory / "passwords" / name


def wait_for_health(sidecar: Sidecar, code: int, when: str) -> dict[str, object]:
    def answer() -> dict[str, object] | None:
        status, body = sidecar.health()
        return body if status == code else None

    return wait_until(answer, what=f"health {code} {when}")


def wait_until_every_registry_failed_into(sidecar: Sidecar, state: str, when: str) -> dict[str, object]:
    """Registries turn `state` one after another (one call per region, retried by botocore), so wait for all."""

    def answer() -> dict[str, object] | None:
        _, body = sidecar.health()
        entries = body["registries"]
        return body if all(entry["state"] == state and entry["lastError"] for entry in entries) else None

    return wait_until(answer, what=f"every registry {state} with an error {when}")


def calls_per_region(moto: MotoServer) -> Counter[str]:
    return Counter(region for region, _ in moto.token_calls())


def test_once_writes_the_principals_password_with_one_call_per_region_and_no_registry_ids(
    moto: MotoServer, sidecars: StartSidecar, tmp_path: Path
) -> None:
    moto.forget_calls()
    sidecar = sidecars(write_config(tmp_path, "30m"), moto.url, "--once")
    assert sidecar.finish() == 0
    for _, _, name in REGISTRIES:
        path = password_file(tmp_path, name)
        assert path.read_bytes() == MOTO_PASSWORD.encode()
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert sorted(moto.token_calls()) == [("eu-west-1", []), ("us-east-1", [])]
    assert sidecar.stderr == ""


def test_the_log_never_holds_a_password_or_token(moto: MotoServer, sidecars: StartSidecar, tmp_path: Path) -> None:
    sidecar = sidecars(write_config(tmp_path, "30m"), moto.url, "--once")
    assert sidecar.finish() == 0
    assert len(sidecar.events("password_written")) == len(REGISTRIES)
    token = base64.b64encode(f"AWS:{MOTO_PASSWORD}".encode()).decode()
    assert MOTO_PASSWORD not in sidecar.raw
    assert token not in sidecar.raw


def test_every_round_makes_one_call_per_region(moto: MotoServer, sidecars: StartSidecar, tmp_path: Path) -> None:
    moto.forget_calls()
    sidecar = sidecars(write_config(tmp_path, "200ms"), moto.url, "--health-port", "0")
    sidecar.wait_for("round_finished", count=5)
    assert sidecar.stop() == (0, pytest.approx(0, abs=2.5))
    rounds = len(sidecar.events("round_finished"))
    calls = calls_per_region(moto)
    # A round cut short by SIGTERM may have made its first call without finishing.
    assert rounds <= calls["us-east-1"] <= rounds + 1
    assert rounds <= calls["eu-west-1"] <= rounds + 1
    assert set(calls) == {"us-east-1", "eu-west-1"}


def test_a_reader_never_sees_a_missing_empty_or_partial_file(
    moto: MotoServer, sidecars: StartSidecar, tmp_path: Path
) -> None:
    _, _, name = REGISTRIES[0]
    path, expected = password_file(tmp_path, name), MOTO_PASSWORD.encode()
    sidecar = sidecars(write_config(tmp_path, "50ms"), moto.url, "--health-port", "0")
    sidecar.wait_for("round_finished")  # regions are written in the order their answers come
    done = threading.Event()
    bad: list[bytes | str] = []
    versions: set[tuple[int, int]] = set()
    reads = 0

    def read_continuously() -> None:
        nonlocal reads
        while not done.is_set():
            try:
                with path.open("rb") as file:
                    content, info = file.read(), os.fstat(file.fileno())
            except FileNotFoundError:
                bad.append("missing")
                continue
            reads += 1
            versions.add((info.st_ino, info.st_mtime_ns))
            if content != expected:
                bad.append(content)

    reader = threading.Thread(target=read_continuously)
    reader.start()
    try:
        sidecar.wait_for("round_finished", count=25)
    finally:
        done.set()
        reader.join(timeout=10)
    assert bad == []
    assert len(versions) >= 12, "the file was not replaced often enough while being read"
    assert reads > len(versions)


def test_an_outage_keeps_the_files_turns_health_503_and_recovers(
    own_moto: MotoServer, sidecars: StartSidecar, tmp_path: Path
) -> None:
    sidecar = sidecars(write_config(tmp_path, "1s"), own_moto.url, "--health-port", "0")
    wait_for_health(sidecar, 200, "before the outage")
    paths = [password_file(tmp_path, name) for _, _, name in REGISTRIES]

    own_moto.stop()
    failures_before = len(sidecar.events("get_authorization_token_failed"))
    wait_for_health(sidecar, 503, "during the outage")
    body = wait_until_every_registry_failed_into(sidecar, "stale", "during the outage")
    assert all("Could not connect" in entry["lastError"] for entry in body["registries"])
    kept = {path: (path.read_bytes(), path.stat().st_ino) for path in paths}
    sidecar.wait_for("get_authorization_token_failed", count=failures_before + 2)
    assert {path: (path.read_bytes(), path.stat().st_ino) for path in paths} == kept
    assert [kept[path][0] for path in paths] == [MOTO_PASSWORD.encode()] * len(REGISTRIES)

    written_before = len(sidecar.events("password_written"))
    own_moto.start()
    body = wait_for_health(sidecar, 200, "after the outage")
    # Health counts a registry fresh just before its password_written line is logged.
    sidecar.wait_for("password_written", count=written_before + len(REGISTRIES))
    assert {entry["state"] for entry in body["registries"]} == {"fresh"}


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_stop_signal_ends_the_daemon_with_0_within_2_seconds(
    moto: MotoServer, sidecars: StartSidecar, tmp_path: Path, signum: int
) -> None:
    sidecar = sidecars(write_config(tmp_path, "30m"), moto.url, "--health-port", "0")
    sidecar.wait_for("round_finished")
    code, elapsed = sidecar.stop(signum)
    assert code == 0
    assert elapsed < 2.0
    assert sidecar.events("stopped")[0]["signal"] == signal.Signals(signum).name


def test_sigterm_while_the_config_is_still_being_read_exits_0(sidecars: StartSidecar, tmp_path: Path) -> None:
    # A FIFO holds the process in its config load for as long as the test wants: the handlers must already be there.
    config = tmp_path / "config.yaml"
    os.mkfifo(config)
    sidecar = sidecars(config, f"http://127.0.0.1:{free_port()}")
    writer = wait_until(lambda: open_for_writing_once_read(config), what="the sidecar to open its config")
    try:
        # Blocked in read(): a signal that came a moment earlier, before the read began, would wait for its end.
        wchan = Path(f"/proc/{sidecar.process.pid}/wchan")
        wait_until(lambda: "pipe_read" in wchan.read_text(), what="the sidecar to block reading its config")
        code, elapsed = sidecar.stop()
    finally:
        os.close(writer)
    assert code == 0
    assert elapsed < 2.0
    assert [event["event"] for event in sidecar.lines] == ["stopped"]


SLOW_IMPORT = """
import os
# Stands in for argparse, which main imports: holds the import until the test has sent its signal.
with open(os.environ["SLOW_IMPORT_FIFO"]) as fifo:
    fifo.read()
import sys
sys.path.remove(os.path.dirname(__file__))
del sys.modules["argparse"]
import argparse
"""


@pytest.mark.parametrize("entry", [MODULE_ENTRY, console_script_entry()], ids=["python -m", "console script"])
@pytest.mark.parametrize(
    ("signum", "arguments", "code"),
    [(signal.SIGHUP, (), 0), (signal.SIGTERM, ("--once",), 1)],
)
def test_a_stop_signal_while_main_is_still_being_imported_is_handled(
    sidecars: StartSidecar,
    tmp_path: Path,
    signum: int,
    arguments: tuple[str, ...],
    code: int,
    entry: tuple[str, ...],
) -> None:
    # The signal arrives during main's imports, before its handlers exist: it must wait for them, not kill (143).
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "argparse.py").write_text(SLOW_IMPORT)
    fifo = tmp_path / "import-gate"
    os.mkfifo(fifo)
    env = {"PYTHONPATH": f"{shadow}{os.pathsep}{local_aws_env('')['PYTHONPATH']}", "SLOW_IMPORT_FIFO": str(fifo)}
    sidecar = sidecars(tmp_path / "config.yaml", f"http://127.0.0.1:{free_port()}", *arguments, env=env, entry=entry)
    writer = wait_until(lambda: open_for_writing_once_read(fifo), what="the sidecar to import main")
    sidecar.process.send_signal(signum)
    os.close(writer)
    assert sidecar.finish() == code
    assert [(event["event"], event["signal"]) for event in sidecar.lines] == [("stopped", signal.Signals(signum).name)]
    assert sidecar.stderr == ""


def open_for_writing_once_read(fifo: Path) -> int | None:
    """A FIFO opens for writing without blocking only once a reader has it open."""
    try:
        return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        return None


def test_sigterm_interrupts_an_aws_call_that_hangs(sidecars: StartSidecar, tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as silent:
        silent.settimeout(30)
        endpoint = f"http://127.0.0.1:{silent.getsockname()[1]}"
        sidecar = sidecars(write_config(tmp_path, "30m"), endpoint, "--health-port", "0")
        connection, _ = silent.accept()
        with connection:
            code, elapsed = sidecar.stop()
    assert code == 0
    assert elapsed < 2.0


def test_sigterm_during_once_exits_1(sidecars: StartSidecar, tmp_path: Path) -> None:
    # An interrupted --once did not refresh every registry, so an init container must not count it a success.
    with socket.create_server(("127.0.0.1", 0)) as silent:
        silent.settimeout(30)
        endpoint = f"http://127.0.0.1:{silent.getsockname()[1]}"
        sidecar = sidecars(write_config(tmp_path, "30m"), endpoint, "--once")
        connection, _ = silent.accept()
        with connection:
            code, elapsed = sidecar.stop()
    assert code == 1
    assert elapsed < 2.0
    assert sidecar.events("stopped")[0]["signal"] == "SIGTERM"
    assert sidecar.events("once_finished") == []
    assert not (tmp_path / "passwords").exists()


def test_the_default_health_port_is_3277(moto: MotoServer, sidecars: StartSidecar, tmp_path: Path) -> None:
    # The legacy image's port: probes written for it keep working. Another process may hold 3277 on this host.
    sidecar = sidecars(write_config(tmp_path, "30m"), moto.url)
    wait_until(lambda: sidecar.events("started") or sidecar.events("health_port_unavailable"), what="health port")
    ports = [event["healthPort"] for event in sidecar.events("started")]
    ports += [event["port"] for event in sidecar.events("health_port_unavailable")]
    assert ports == [3277]


def test_once_exits_1_and_writes_nothing_when_the_api_is_unreachable(sidecars: StartSidecar, tmp_path: Path) -> None:
    config = write_config(tmp_path, "30m", REGISTRIES[:1])
    sidecar = sidecars(config, f"http://127.0.0.1:{free_port()}", "--once")
    assert sidecar.finish() == 1
    assert not (tmp_path / "passwords").exists()
    assert sidecar.events("get_authorization_token_failed")[0]["region"] == "us-east-1"
    assert sidecar.events("once_finished")[0]["ok"] is False


GOOD_ENTRY = '  - {{registryId: "123456789012", region: us-east-1, passwordFile: {dir}/passwords/good.pass}}'


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("registries:\n" + GOOD_ENTRY, "interval: missing"),
        ("interval: 30\nregistries:\n" + GOOD_ENTRY, "interval: 30 is not a Go duration from 1ms to 12h"),
        ("interval: 1d\nregistries:\n" + GOOD_ENTRY, "interval: '1d' is not a Go duration from 1ms to 12h"),
        (
            "interval: 99999999999h\nregistries:\n" + GOOD_ENTRY,
            "interval: '99999999999h' is not a Go duration from 1ms to 12h such as 30m, 1h30m, 90s or 1.5h: "
            "it overflows int64 nanoseconds",
        ),
        ("interval: 0s\nregistries:\n" + GOOD_ENTRY, "interval: '0s' is not a Go duration from 1ms to 12h"),
        ("interval: 30m\ninterval: 1h\nregistries:\n" + GOOD_ENTRY, "interval: given twice (line 2"),
        (
            'interval: 30m\nregistries:\n  - {registryId: "123456789012", region: us-east-1, '
            'passwordFile: "{dir}/passwords/a\\0b.pass"}',
            "registries[0].passwordFile: '{dir}/passwords/a\\x00b.pass' is not an absolute file path",
        ),
        (
            'interval: 30m\nregistries:\n  - {registryId: "123456789012", region: us-east-1, '
            "passwordFile: {dir}/passwords/.}",
            "registries[0].passwordFile: '{dir}/passwords/.' is not an absolute file path",
        ),
        (
            'interval: 30m\nregistries:\n  - {registryId: "123456789012", region: us-east-1, '
            "passwordFile: {dir}/passwords/..}",
            "registries[0].passwordFile: '{dir}/passwords/..' is not an absolute file path",
        ),
        (
            "interval: 30m\nregistries:\n" + GOOD_ENTRY + '\n  - {registryId: "123456789012", region: us-east-1, '
            "passwordFile: /{dir}/passwords//good.pass}",
            "registries[1].passwordFile: '/{dir}/passwords//good.pass' is the file of registries[0]",
        ),
        (
            "interval: 30m\nregistries:\n" + GOOD_ENTRY + "\n  - {registryId: 12345678901, region: us-east-1, "
            "passwordFile: {dir}/passwords/b.pass}",
            "registries[1].registryId: 12345678901 is not a quoted 12-digit string",
        ),
        (
            "interval: 30m\nregistries:\n"
            + GOOD_ENTRY
            + '\n  - {registryId: "123456789012", region: us-east-1, passwordFile: passwords/b.pass}',
            "registries[1].passwordFile: 'passwords/b.pass' is not an absolute file path",
        ),
        (
            "interval: 30m\nregistries:\n" + GOOD_ENTRY + "\n" + GOOD_ENTRY,
            "registries[1].passwordFile: '{dir}/passwords/good.pass' is the file of registries[0]",
        ),
        ("interval: 30m\nregistries: []", "registries: [] is not a non-empty list"),
        ("interval: 30m\nregistry: x\nregistries:\n" + GOOD_ENTRY, "registry: unknown key"),
        (
            "interval: 30m\nregistries:\n" + GOOD_ENTRY + '\n  - {registryId: "123456789012", passwordFile: /x/y}',
            "registries[1].region: missing",
        ),
    ],
)
def test_a_bad_config_exits_2_names_the_problem_and_writes_nothing(
    moto: MotoServer, sidecars: StartSidecar, tmp_path: Path, body: str, problem: str
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(body.replace("{dir}", str(tmp_path)).replace("{{", "{").replace("}}", "}") + "\n")
    sidecar = sidecars(config, moto.url, "--once")
    assert sidecar.finish() == 2
    (event,) = sidecar.events("config_invalid")
    assert any(error.startswith(problem.replace("{dir}", str(tmp_path))) for error in event["errors"]), event
    assert not (tmp_path / "passwords").exists()


def test_a_config_file_that_is_not_utf8_exits_2(moto: MotoServer, sidecars: StartSidecar, tmp_path: Path) -> None:
    config = write_config(tmp_path, "30m", REGISTRIES[:1])
    config.write_bytes(config.read_bytes().replace(b"us-east-1", b"us-\xff"))
    sidecar = sidecars(config, moto.url, "--once")
    assert sidecar.finish() == 2
    (error,) = sidecar.events("config_invalid")[0]["errors"]
    assert error.startswith(f"config file {config}: byte 0xff at offset ")
    assert error.endswith(" is not UTF-8 (accepted: a UTF-8 text file)")
    assert not (tmp_path / "passwords").exists()


def test_a_missing_config_file_exits_2(moto: MotoServer, sidecars: StartSidecar, tmp_path: Path) -> None:
    sidecar = sidecars(tmp_path / "absent.yaml", moto.url)
    assert sidecar.finish() == 2
    assert sidecar.events("config_invalid")[0]["errors"] == [f"config file {tmp_path / 'absent.yaml'}: not found"]


def test_stale_temporary_files_of_ours_are_removed_at_start(
    moto: MotoServer, sidecars: StartSidecar, tmp_path: Path
) -> None:
    # What a SIGKILL during a write leaves behind: a temporary file holding a password.
    passwords = tmp_path / "passwords"
    (passwords / "legacy").mkdir(parents=True)
    stale = [passwords / ".prod.pass.0123456789abcdef.tmp", passwords / "legacy" / ".legacy.pass.fedcba9876543210.tmp"]
    foreign = [passwords / ".unrelated.pass.0123456789abcdef.tmp", passwords / "notes.tmp"]
    for path in stale + foreign:
        path.write_text("old-password")
    sidecar = sidecars(write_config(tmp_path, "30m"), moto.url, "--once")
    assert sidecar.finish() == 0
    assert not any(path.exists() for path in stale)
    assert all(path.exists() for path in foreign)
    (removed,) = sidecar.events("stale_temporary_files_removed")
    assert sorted(removed["files"]) == sorted(str(path) for path in stale)


def test_a_closed_stdout_neither_stops_the_refresh_nor_lands_in_a_password_file(
    moto: MotoServer, tmp_path: Path
) -> None:
    command = [sys.executable, "-m", "ecr_token_refresh", "--config", str(write_config(tmp_path, "30m")), "--once"]
    # Closed before exec: the first file the sidecar opens would get descriptor 1, and with it every log line.
    process = subprocess.run(
        command,
        env=local_aws_env(moto.url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: os.close(1),
        timeout=30,
        check=False,
    )
    assert (process.returncode, process.stderr) == (0, "")
    for _, _, name in REGISTRIES:
        assert password_file(tmp_path, name).read_bytes() == MOTO_PASSWORD.encode()


def test_a_reader_that_goes_away_does_not_stop_the_refresh(moto: MotoServer, tmp_path: Path) -> None:
    path = password_file(tmp_path, REGISTRIES[0][2])
    command = [sys.executable, "-m", "ecr_token_refresh", "--config", str(write_config(tmp_path, "100ms"))]
    process = subprocess.Popen(
        [*command, "--health-port", "0"], env=local_aws_env(moto.url), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        port = next(json.loads(line)["healthPort"] for line in process.stdout if b'"started"' in line)
        process.stdout.close()  # EPIPE from now on
        inode = wait_until(lambda: path.exists() and path.stat().st_ino, what="a first password")
        wait_until(lambda: path.stat().st_ino != inode, what="the password replaced after the reader left")
        wait_until(lambda: health_status(port) == 200, what="health 200 after the reader left")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.wait(timeout=10)
    assert process.stderr is not None
    assert process.stderr.read() == b""


def test_a_reader_that_stops_reading_does_not_stop_the_refresh(moto: MotoServer, tmp_path: Path) -> None:
    """stdout is a pipe whose reader holds it open and reads nothing: every log line would block a plain write.
    The first line waits a second and is dropped, later ones are dropped at once: the rounds keep their pace."""
    path = password_file(tmp_path, REGISTRIES[0][2])
    port = free_port()
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    with contextlib.suppress(BlockingIOError):
        while True:
            os.write(write_end, b"x" * 65536)
    os.set_blocking(write_end, True)
    command = [sys.executable, "-m", "ecr_token_refresh", "--config", str(write_config(tmp_path, "1s"))]
    process = subprocess.Popen(
        [*command, "--health-port", str(port)], env=local_aws_env(moto.url), stdout=write_end, stderr=subprocess.PIPE
    )
    os.close(write_end)
    try:
        inode = wait_until(lambda: path.exists() and path.stat().st_ino, what="a first password")
        wait_until(lambda: path.stat().st_ino != inode, what="the password replaced with stdout full")
        assert health_status(port) == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.wait(timeout=10)
        os.close(read_end)
    assert process.stderr is not None
    assert process.stderr.read() == b""


def health_status(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def context_switches(pid: int) -> int:
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        for line in (task / "status").read_text().splitlines():
            if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                total += int(line.split()[1])
    return total


def test_idle_the_daemon_does_not_wake_up(moto: MotoServer, sidecars: StartSidecar, tmp_path: Path) -> None:
    # Every thread blocks without a timeout between rounds: no polling loop costs CPU while nothing happens.
    sidecar = sidecars(write_config(tmp_path, "30m"), moto.url, "--health-port", "0")
    sidecar.wait_for("round_finished")
    time.sleep(0.3)  # the main thread goes to sleep after logging round_finished: a switch of its own
    before = context_switches(sidecar.process.pid)
    time.sleep(0.8)  # http.server's poll alone woke up twice a second
    assert context_switches(sidecar.process.pid) - before == 0


def test_the_health_server_of_a_real_daemon_prints_no_traceback(
    moto: MotoServer, sidecars: StartSidecar, tmp_path: Path
) -> None:
    sidecar = sidecars(write_config(tmp_path, "30m"), moto.url, "--health-port", "0")
    port = sidecar.health_port
    for request in (b"garbage\r\n\r\n", b"HEAD /healthz HTTP/1.1\r\n\r\n", b"GET /health"):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
            connection.sendall(request)
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    assert sidecar.health()[0] in (200, 503)
    assert sidecar.stop()[0] == 0
    assert sidecar.stderr == ""
    assert all(line.startswith("{") for line in sidecar.raw.splitlines())
