"""A small client for the Kubernetes API, enough for the local cluster and the end-to-end suite: read, create,
server-side apply, delete, and status updates, authenticated with the kubeconfig's client certificate.

Not a general client: one cluster, one user, certificates as files (tools/cluster.py writes them).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
import yaml


class KubernetesApiError(RuntimeError):
    def __init__(self, status: int, method: str, path: str, body: str) -> None:
        self.status = status
        try:
            self.reason = json.loads(body).get("message", body)
        except json.JSONDecodeError:
            self.reason = body
        super().__init__(f"{method} {path}: HTTP {status}: {self.reason}")


@dataclass(frozen=True)
class Credentials:
    server: str
    ca_file: Path
    cert_file: Path
    key_file: Path


def resource_path(api_version: str, plural: str, namespace: str | None = None, name: str | None = None) -> str:
    """`/api/v1/...` for the core group, `/apis/<group>/<version>/...` for the others."""
    base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
    if namespace is not None:
        base += f"/namespaces/{namespace}"
    base += f"/{plural}"
    return f"{base}/{name}" if name is not None else base


class KubernetesApi:
    def __init__(self, credentials: Credentials, timeout: float = 30.0) -> None:
        self.credentials = credentials
        self.session = requests.Session()
        # Loopback and our own CA only: REQUESTS_CA_BUNDLE or a proxy from the environment would override both.
        self.session.trust_env = False
        self.session.verify = str(credentials.ca_file)
        self.session.cert = (str(credentials.cert_file), str(credentials.key_file))
        self.timeout = timeout

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str = "application/json",
        params: Mapping[str, str] | None = None,
    ) -> Any:
        data = None
        if body is not None:
            data = body if isinstance(body, str | bytes) else json.dumps(body)
        response = self.session.request(
            method,
            self.credentials.server + path,
            data=data,
            params=params,
            headers={"Content-Type": content_type, "Accept": "application/json"},
            timeout=self.timeout,
        )
        if response.status_code >= 400:
            raise KubernetesApiError(response.status_code, method, path, response.text)
        return response.json() if response.content else None

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def exists(self, path: str) -> bool:
        try:
            self.get(path)
        except KubernetesApiError as error:
            if error.status == 404:
                return False
            raise
        return True

    def create(self, path: str, body: Mapping[str, Any]) -> Any:
        return self.request("POST", path, body)

    def apply(self, path: str, body: Mapping[str, Any], *, manager: str, force: bool = False) -> Any:
        """Server-side apply of `body` as field manager `manager`."""
        params = {"fieldManager": manager}
        if force:
            params["force"] = "true"
        return self.request(
            "PATCH", path, yaml.safe_dump(dict(body)), content_type="application/apply-patch+yaml", params=params
        )

    def replace_status(self, path: str, status: Mapping[str, Any]) -> Any:
        """What a controller does: set the status subresource."""
        current = self.get(path)
        return self.request("PUT", path + "/status", {**current, "status": dict(status)})

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)

    def wait_until(self, check: Any, *, timeout: float, what: str, interval: float = 0.2) -> Any:
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                result = check()
                if result:
                    return result
            except (requests.RequestException, KubernetesApiError) as error:
                last = error
            time.sleep(interval)
        raise TimeoutError(f"{what}: not within {timeout:.0f}s (last error: {last})")


def credentials_from_kubeconfig(path: Path) -> Credentials:
    """The current context's server and client certificate files, as tools/cluster.py writes them."""
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    context = next(c["context"] for c in config["contexts"] if c["name"] == config["current-context"])
    cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
    user = next(u["user"] for u in config["users"] if u["name"] == context["user"])
    return Credentials(
        server=cluster["server"],
        ca_file=Path(cluster["certificate-authority"]),
        cert_file=Path(user["client-certificate"]),
        key_file=Path(user["client-key"]),
    )
