"""Standard Webhooks signatures (https://www.standardwebhooks.com).

A message is signed as HMAC-SHA256 over `<webhook-id>.<webhook-timestamp>.<body>` with the
endpoint's secret; `webhook-signature` carries one `v1,<base64>` entry per secret in use, so a
receiver that still knows only the previous secret keeps verifying during a rotation.
"""

import base64
import secrets
from collections.abc import Sequence
from datetime import datetime

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
USER_AGENT = "crm-webhooks/1"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signature(keys: Sequence[str], message_id: str, timestamp: datetime, body: bytes) -> str:
    """The `webhook-signature` header: one entry per secret, space-separated."""
    data = body.decode()
    return " ".join(Webhook(key).sign(message_id, timestamp, data) for key in keys)


def headers(
    keys: Sequence[str], message_id: str, timestamp: datetime, body: bytes
) -> dict[str, str]:
    """Every header of an attempt; `body` must be the exact bytes that are sent."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature(keys, message_id, timestamp, body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }
