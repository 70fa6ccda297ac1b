"""What the sidecar expects of the pod it runs in: the one owner of these facts, imported by the program and policy.

Standard library only, so the program and the policy pack can import it without boto3 or PyYAML.
"""

from __future__ import annotations

import posixpath
from datetime import timedelta

from ecr_token_refresh.duration import parse_go_duration

# The container's name in the SpinnakerService's sidecar list; halyard also names the shared emptyDir after it.
CONTAINER_NAME = "token-refresh"

# Where the daemon reads its config unless --config says otherwise (the legacy image's path), and from it the
# ConfigMap volume's mountPath and the ConfigMap key that becomes the file.
CONFIG_PATH = "/opt/config/ecr-token-refresh/config.yaml"
CONFIG_DIRECTORY = posixpath.dirname(CONFIG_PATH)
CONFIG_KEY = posixpath.basename(CONFIG_PATH)

# The sidecar's `mountPath`: an emptyDir mounted in the sidecar and in clouddriver, holding one file per account.
PASSWORD_DIRECTORY = "/etc/passwords"
PASSWORD_SUFFIX = ".pass"

# GetAuthorizationToken's tokens live 12 h (ECR API reference); also the lifetime assumed when expiresAt is unusable.
TOKEN_LIFETIME = timedelta(hours=12)
TOKEN_LIFETIME_NANOSECONDS = TOKEN_LIFETIME // timedelta(microseconds=1) * 1000

# `interval` in config.yaml: a Go duration within these bounds, inclusive (the texts, and their nanoseconds as
# duration.parse_go_duration returns them). The lower bound keeps tests fast without letting a typo spin the loop;
# beyond the token lifetime the interval would never be used (tokens are renewed an hour before they expire).
MIN_INTERVAL_TEXT = "1ms"
MAX_INTERVAL_TEXT = "12h"
MIN_INTERVAL = parse_go_duration(MIN_INTERVAL_TEXT)
MAX_INTERVAL = parse_go_duration(MAX_INTERVAL_TEXT)

# The health endpoint: the legacy image's port, `/healthz` and the legacy `/health`.
HEALTH_PORT = 3277
HEALTH_PATH = "/healthz"
LEGACY_HEALTH_PATH = "/health"
HEALTH_PATHS = (HEALTH_PATH, LEGACY_HEALTH_PATH)


def password_file(account_name: str) -> str:
    """The file clouddriver's account `account_name` reads its password from: /etc/passwords/<name>.pass."""
    if not account_name or "/" in account_name or "\0" in account_name:
        raise ValueError(
            f"account name {account_name!r} cannot name a password file (accepted: a non-empty name without '/' or NUL)"
        )
    return f"{PASSWORD_DIRECTORY}/{account_name}{PASSWORD_SUFFIX}"
