"""The `password-command` method: clouddriver runs the AWS CLI itself. No ConfigMap, no sidecar."""


def get_login_password_command(region: str) -> str:
    # clouddriver runs this with `bash -c` on every registry request; AWS CLI v2 in its image honours IRSA/Pod Identity.
    return f"aws ecr get-login-password --region {region}"
