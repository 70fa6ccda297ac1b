"""`python -m tools.cluster up|down --dir DIR`: a local Kubernetes API server for the end-to-end suite and for people.

`up` generates a CA, serving and client certificates and a service-account signing key, starts etcd and
kube-apiserver on 127.0.0.1 (free ports), writes DIR/kubeconfig, installs the CRDs in e2e/crds/ (SpinnakerService in
both groups, ExternalSecret, ECRAuthorizationToken), prints the kubeconfig path and returns, leaving both running.
`down` stops them and removes DIR. The binaries come from .e2e/bin (`make e2e-tools`).

Beside them runs kube-controller-manager with only the controllers objects need to come and go: the garbage
collector (pulumi-kubernetes deletes in the foreground, which only it finishes), namespaces, service accounts and
their tokens. What it is not: no scheduler, no kubelet, so no pod ever runs; no Spinnaker operator and no External
Secrets controller: a test that needs such a controller's status sets it itself.
"""

from __future__ import annotations

import argparse
import datetime
import ipaddress
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tools.kubernetes_api import KubernetesApi, credentials_from_kubeconfig

ROOT = Path(__file__).resolve().parent.parent
BIN_DIR = ROOT / ".e2e" / "bin"
CRD_DIR = ROOT / "e2e" / "crds"
PIDS_FILE = "pids.json"
START_TIMEOUT = 120.0


class ClusterError(RuntimeError):
    """Something the user fixes: a missing binary, a directory in use, a server that did not start."""


def binary(name: str) -> Path:
    path = BIN_DIR / name
    if not path.exists():
        raise ClusterError(f"{path} is missing: build the end-to-end tools first with `make e2e-tools`")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- certificates ---------------------------------------------------------------------------------------------


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    path.chmod(0o600)


def _certificate(
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None,
    *,
    ca: bool = False,
    usage: ExtendedKeyUsageOID | None = None,
    names: Sequence[x509.GeneralName] = (),
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    issuer_name, issuer_key = issuer if issuer else (subject, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if usage is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(list(names)), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attributes)


def write_certificates(pki: Path) -> None:
    """CA, the API server's serving certificate for 127.0.0.1, an admin client (system:masters), the SA key."""
    pki.mkdir(parents=True)
    ca_key = _key()
    ca_name = _name("spinnaker-ecr-e2e-ca")
    ca = _certificate(ca_name, ca_key, None, ca=True)
    server_key, admin_key = _key(), _key()
    server = _certificate(
        _name("kube-apiserver"),
        server_key,
        (ca_name, ca_key),
        usage=ExtendedKeyUsageOID.SERVER_AUTH,
        names=[
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.DNSName("localhost"),
            x509.DNSName("kubernetes.default.svc"),
        ],
    )
    admin = _certificate(
        _name("spinnaker-ecr-e2e-admin", "system:masters"),
        admin_key,
        (ca_name, ca_key),
        usage=ExtendedKeyUsageOID.CLIENT_AUTH,
    )
    for name, certificate, key in (("ca", ca, ca_key), ("server", server, server_key), ("admin", admin, admin_key)):
        (pki / f"{name}.crt").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        _write_key(pki / f"{name}.key", key)
    service_account_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _write_key(pki / "sa.key", service_account_key)
    (pki / "sa.pub").write_bytes(
        service_account_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def write_kubeconfig(directory: Path, server: str) -> Path:
    pki = directory / "pki"
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "local", "cluster": {"server": server, "certificate-authority": str(pki / "ca.crt")}}],
        "users": [
            {
                "name": "admin",
                "user": {"client-certificate": str(pki / "admin.crt"), "client-key": str(pki / "admin.key")},
            }
        ],
        "contexts": [{"name": "local", "context": {"cluster": "local", "user": "admin"}}],
        "current-context": "local",
    }
    path = directory / "kubeconfig"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    path.chmod(0o600)
    return path


# --- processes ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ports:
    etcd_client: int
    etcd_peer: int
    api: int


def etcd_command(directory: Path, ports: Ports) -> list[str]:
    client, peer = f"http://127.0.0.1:{ports.etcd_client}", f"http://127.0.0.1:{ports.etcd_peer}"
    return [
        str(binary("etcd")),
        "--name=local",
        f"--data-dir={directory / 'etcd'}",
        f"--listen-client-urls={client}",
        f"--advertise-client-urls={client}",
        f"--listen-peer-urls={peer}",
        f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster=local={peer}",
        "--listen-metrics-urls=",
        "--log-level=warn",
        # A throwaway test store: no fsync keeps a 2-core machine responsive.
        "--unsafe-no-fsync",
    ]


def apiserver_command(directory: Path, ports: Ports) -> list[str]:
    pki = directory / "pki"
    return [
        str(binary("kube-apiserver")),
        f"--etcd-servers=http://127.0.0.1:{ports.etcd_client}",
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        f"--secure-port={ports.api}",
        # With a loopback advertise address the default reconciler logs an invalid endpoint every 10 s.
        "--endpoint-reconciler-type=none",
        f"--cert-dir={directory / 'apiserver-certs'}",
        f"--tls-cert-file={pki / 'server.crt'}",
        f"--tls-private-key-file={pki / 'server.key'}",
        f"--client-ca-file={pki / 'ca.crt'}",
        f"--service-account-key-file={pki / 'sa.pub'}",
        f"--service-account-signing-key-file={pki / 'sa.key'}",
        "--service-account-issuer=https://kubernetes.default.svc",
        "--service-cluster-ip-range=10.96.0.0/16",
        "--authorization-mode=RBAC",
        "--enable-priority-and-fairness=false",
        "--profiling=false",
        "--v=1",
    ]


CONTROLLERS = ("garbagecollector", "namespace", "serviceaccount", "serviceaccount-token")


def controller_manager_command(directory: Path) -> list[str]:
    pki = directory / "pki"
    return [
        str(binary("kube-controller-manager")),
        f"--kubeconfig={directory / 'kubeconfig'}",
        f"--controllers={','.join(CONTROLLERS)}",
        "--bind-address=127.0.0.1",
        "--secure-port=0",
        "--leader-elect=false",
        f"--service-account-private-key-file={pki / 'sa.key'}",
        f"--root-ca-file={pki / 'ca.crt'}",
        "--use-service-account-credentials=false",
        "--v=1",
    ]


def _start(command: list[str], log: Path) -> int:
    with log.open("ab") as output:
        # Its own session: it outlives this command and a Ctrl-C in the shell that ran `up`.
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    return process.pid


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def stop(pid: int, timeout: float = 15.0) -> None:
    if not _alive(pid):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            finished, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            finished = 0
        if finished or not _alive(pid):
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


def _wait_ready(api: KubernetesApi, pids: dict[str, int], directory: Path) -> None:
    def ready() -> bool:
        for name, pid in pids.items():
            if not _alive(pid):
                log = (directory / f"{name}.log").read_text(errors="replace")[-2000:]
                raise ClusterError(f"{name} exited while starting; the end of {directory / (name + '.log')}:\n{log}")
        return api.session.get(api.credentials.server + "/readyz", timeout=5).status_code == 200

    api.wait_until(ready, timeout=START_TIMEOUT, what="kube-apiserver /readyz")


def install_crds(api: KubernetesApi) -> list[str]:
    names = []
    for path in sorted(CRD_DIR.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text(encoding="utf-8"))
        api.apply(
            f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{crd['metadata']['name']}", crd, manager="e2e"
        )
        names.append(crd["metadata"]["name"])
    for name in names:

        def established(name: str = name) -> bool:
            crd = api.get(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}")
            conditions = (crd.get("status") or {}).get("conditions") or []
            return any(c["type"] == "Established" and c["status"] == "True" for c in conditions)

        api.wait_until(established, timeout=60, what=f"CRD {name} established")
    return names


def up(directory: Path) -> Path:
    if directory.exists() and any(directory.iterdir()):
        raise ClusterError(f"--dir {directory}: exists and is not empty (run `down --dir {directory}` first)")
    for name in ("etcd", "kube-apiserver", "kube-controller-manager"):
        binary(name)
    directory.mkdir(parents=True, exist_ok=True)
    directory = directory.resolve()
    write_certificates(directory / "pki")
    ports = Ports(free_port(), free_port(), free_port())
    pids: dict[str, int] = {}
    try:
        pids["etcd"] = _start(etcd_command(directory, ports), directory / "etcd.log")
        pids["kube-apiserver"] = _start(apiserver_command(directory, ports), directory / "kube-apiserver.log")
        (directory / PIDS_FILE).write_text(json.dumps(pids), encoding="utf-8")
        kubeconfig = write_kubeconfig(directory, f"https://127.0.0.1:{ports.api}")
        api = KubernetesApi(credentials_from_kubeconfig(kubeconfig))
        _wait_ready(api, pids, directory)
        pids["kube-controller-manager"] = _start(
            controller_manager_command(directory), directory / "kube-controller-manager.log"
        )
        (directory / PIDS_FILE).write_text(json.dumps(pids), encoding="utf-8")
        install_crds(api)
    except BaseException:
        for pid in pids.values():
            stop(pid)
        raise
    return kubeconfig


def down(directory: Path) -> None:
    pids_file = directory / PIDS_FILE
    if pids_file.exists():
        pids = json.loads(pids_file.read_text(encoding="utf-8"))
        # Clients first, then the API server, so none logs a storm of errors on the way down.
        for name in ("kube-controller-manager", "kube-apiserver", "etcd"):
            if name in pids:
                stop(int(pids[name]))
    shutil.rmtree(directory, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.cluster", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("up", "down"))
    parser.add_argument("--dir", type=Path, required=True, help="the cluster's directory (certificates, data, logs)")
    args = parser.parse_args(argv)
    try:
        if args.action == "up":
            print(up(args.dir))
        else:
            down(args.dir)
    except ClusterError as error:
        print(f"cluster: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
