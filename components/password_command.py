"""The `password-command` method: clouddriver runs the AWS CLI itself. No ConfigMap, no sidecar."""

from collections.abc import Iterable

from components.model import Registry
from components.wiring import ClouddriverWiring


def get_login_password_command(region: str) -> str:
    # clouddriver runs this with `bash -c` on every registry request; AWS CLI v2 in its image honours IRSA/Pod Identity.
    return f"aws ecr get-login-password --region {region}"


def password_command_wiring(registries: Iterable[Registry]) -> ClouddriverWiring:
    return ClouddriverWiring(
        password_sources={r.name: {"passwordCommand": get_login_password_command(r.region)} for r in registries}
    )
