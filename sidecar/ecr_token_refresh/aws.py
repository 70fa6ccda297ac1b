"""The one AWS API this sidecar uses: ECR GetAuthorizationToken, called once per region without registryIds.

`registryIds` is deprecated: the token is the principal's and opens every registry it may read in that region
(its own, and another account's whose repository policy allows it), whichever ids are asked for.
"""

from __future__ import annotations

import base64
import binascii
import reprlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

# botocore's own limits for one attempt; calls.py puts a hard deadline on the call as a whole.
CONNECT_TIMEOUT_SECONDS = 2
READ_TIMEOUT_SECONDS = 5
# The first attempt included (botocore's `max_attempts` would count retries only: 3 meant 4 attempts).
TOTAL_MAX_ATTEMPTS = 3


class EcrApi(Protocol):
    def get_authorization_token(self, **kwargs: Any) -> Any: ...


class AnswerError(ValueError):
    """The answer does not have GetAuthorizationToken's shape; the message never quotes the token."""


@dataclass(frozen=True)
class AuthorizationData:
    password: str = field(repr=False)
    # Timezone-aware; None when the answer had no usable expiresAt (the refresh then assumes the 12 h lifetime).
    expires_at: datetime | None
    # What the answer said instead of a usable expiresAt, for the warning; None when expires_at is usable or absent.
    unusable_expires_at: str | None = None


def ecr_clients(regions: Iterable[str]) -> dict[str, EcrApi]:
    """One client per region from boto3's default credential chain (env, IRSA, Pod Identity, IMDSv2...)."""
    # Imported here, not at module level: the import takes a large share of a second, and the stop signals must
    # already be handled while it runs.
    import boto3
    from botocore.config import Config as BotoConfig

    config = BotoConfig(
        retries={"mode": "standard", "total_max_attempts": TOTAL_MAX_ATTEMPTS},
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
    )
    session = boto3.session.Session()
    return {region: session.client("ecr", region_name=region, config=config) for region in regions}


def get_authorization_token(client: EcrApi) -> AuthorizationData:
    return authorization_data(client.get_authorization_token())


def authorization_data(answer: Any) -> AuthorizationData:
    """The password and expiry of the answer's first entry; AnswerError for any answer of another shape."""
    if not isinstance(answer, Mapping):
        raise AnswerError(f"the answer is {_kind(answer)}, not a mapping")
    entries = answer.get("authorizationData")
    if not isinstance(entries, Sequence) or isinstance(entries, str | bytes) or not entries:
        raise AnswerError(f"the answer has no authorizationData entry (got {_kind(entries)})")
    entry = entries[0]
    if not isinstance(entry, Mapping):
        raise AnswerError(f"authorizationData[0] is {_kind(entry)}, not a mapping")
    expires_at, unusable = _expiry(entry.get("expiresAt"))
    return AuthorizationData(_password(entry.get("authorizationToken")), expires_at, unusable)


def _password(token: Any) -> str:
    """The token is base64("AWS:<password>"); errors never quote it."""
    if not isinstance(token, str):
        raise AnswerError(f"authorizationToken is {_kind(token)}, not a string")
    try:
        _user, separator, password = base64.b64decode(token, validate=True).decode("ascii").partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise AnswerError("authorizationToken is not base64 of ASCII 'user:password'") from None
    if not separator or not password:
        raise AnswerError("authorizationToken does not decode to 'user:password'")
    # clouddriver sends the file as it is: a space, newline or control character would break every request.
    if not all("!" <= character <= "~" for character in password):
        raise AnswerError("the password in authorizationToken has a space or control character")
    return password


def _expiry(value: Any) -> tuple[datetime | None, str | None]:
    if value is None:
        return None, None
    if not isinstance(value, datetime):
        return None, reprlib.repr(value)
    try:
        # botocore reads an ISO time without a zone as a naive datetime: AWS times are UTC.
        return (value.replace(tzinfo=UTC) if value.utcoffset() is None else value.astimezone(UTC)), None
    except (OverflowError, ValueError, TypeError) as error:
        return None, f"{value!r} ({type(error).__name__})"


def _kind(value: Any) -> str:
    return "nothing" if value is None else f"a {type(value).__name__}"
