"""API key material and the role/permission matrix.

Keys look like `crm_Ab3dE6gH_<40 random characters>`. The first 12 characters are the visible
prefix, stored in clear to find the key and to let people tell keys apart; the whole key is
stored only as its SHA-256. The secret has 238 bits of entropy, so a fast hash is enough (a slow
password hash protects guessable secrets, which these are not).
"""

import hashlib
import hmac
import secrets
import string
import uuid
from dataclasses import dataclass
from enum import StrEnum

_ALPHABET = string.ascii_letters + string.digits
KEY_PREFIX_LENGTH = 12  # "crm_" and 8 characters


class Role(StrEnum):
    admin = "admin"
    manager = "manager"
    sales = "sales"
    support = "support"
    marketing = "marketing"
    viewer = "viewer"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the API key, its workspace and its role, and the workspace's base
    currency (fixed for a workspace's life, so it is safe to keep with the key). `key_id` is
    None for the service itself (setting up a new workspace)."""

    key_id: uuid.UUID | None
    workspace_id: uuid.UUID
    role: "Role"
    currency: str = "USD"


class Action(StrEnum):
    read = "read"
    write = "write"


# Who may do what. Admins and managers may do everything but manage API keys, which is for admins
# alone; every role reads unless a resource narrows `read`. README.md shows this table.
_EVERYONE = frozenset(Role)
_STAFF = frozenset({Role.admin, Role.manager})
PERMISSIONS: dict[str, dict[Action, frozenset[Role]]] = {
    "api_keys": {Action.read: frozenset({Role.admin}), Action.write: frozenset({Role.admin})},
    "workspace": {Action.read: _EVERYONE, Action.write: frozenset({Role.admin})},
    "contacts": {Action.read: _EVERYONE, Action.write: _EVERYONE - {Role.viewer}},
    "companies": {Action.read: _EVERYONE, Action.write: _EVERYONE - {Role.viewer}},
    "interactions": {
        Action.read: _EVERYONE,
        Action.write: _STAFF | {Role.sales, Role.support},
    },
    "tasks": {Action.read: _EVERYONE, Action.write: _STAFF | {Role.sales}},
    "feedback": {Action.read: _EVERYONE, Action.write: _STAFF | {Role.support}},
    "pipelines": {Action.read: _EVERYONE, Action.write: _STAFF},
    "deals": {Action.read: _EVERYONE, Action.write: _STAFF | {Role.sales}},
    "exchange_rates": {Action.read: _EVERYONE, Action.write: _STAFF},
    "orders": {Action.read: _EVERYONE, Action.write: _STAFF | {Role.sales}},
    "campaigns": {Action.read: _EVERYONE, Action.write: _STAFF | {Role.marketing}},
    # Budgets and KPIs are management figures: spend line items are for the people who spend,
    # KPIs for those who steer sales and marketing (support and viewers read the records).
    "spend": {Action.read: _STAFF | {Role.marketing}, Action.write: _STAFF | {Role.marketing}},
    "kpis": {Action.read: _STAFF | {Role.marketing, Role.sales}, Action.write: frozenset()},
    "events": {Action.read: _EVERYONE, Action.write: frozenset()},
    "webhooks": {Action.read: _STAFF, Action.write: _STAFF},
}


def is_allowed(role: Role, resource: str, action: Action) -> bool:
    return role in PERMISSIONS[resource][action]


def generate_key() -> str:
    prefix = "".join(secrets.choice(_ALPHABET) for _ in range(KEY_PREFIX_LENGTH - 4))
    secret = "".join(secrets.choice(_ALPHABET) for _ in range(40))
    return f"crm_{prefix}_{secret}"


def key_prefix(key: str) -> str:
    return key[:KEY_PREFIX_LENGTH]


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_matches(key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_key(key), stored_hash)


def looks_like_key(key: str) -> bool:
    return key.startswith("crm_") and len(key) == KEY_PREFIX_LENGTH + 41 and key[12] == "_"
