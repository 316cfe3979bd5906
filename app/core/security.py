"""API key material and the role/permission matrix.

Keys look like `crm_Ab3dE6gH_<40 random characters>`. The first 12 characters are the visible
prefix, stored in clear to find the key and to let people tell keys apart; the whole key is
stored only as its SHA-256. The secret has 238 bits of entropy, so a fast hash is enough (a slow
password hash protects guessable secrets, which these are not).
"""

import hashlib
import hmac
import ipaddress
import secrets
import string
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

_ALPHABET = string.ascii_letters + string.digits
KEY_PREFIX_LENGTH = 12  # "crm_" and 8 characters


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


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
    None for the service itself (setting up a new workspace).

    The key's own limits travel with it, so a cached key keeps them: its scopes (None: all of
    its role's), when it expires, and the networks it may be used from (None: anywhere)."""

    key_id: uuid.UUID | None
    workspace_id: uuid.UUID
    role: "Role"
    currency: str = "USD"
    scopes: frozenset[str] | None = None
    expires_at: datetime | None = None
    allowed_ips: tuple[IPNetwork, ...] | None = None

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    def may(self, resource: str, action: "Action") -> bool:
        """The role allows it, and so do the key's scopes (a `write` scope includes `read`)."""
        if not is_allowed(self.role, resource, action):
            return False
        if self.scopes is None:
            return True
        if scope_name(resource, action) in self.scopes:
            return True
        return action == Action.read and scope_name(resource, Action.write) in self.scopes

    def comes_from_allowed(self, host: str | None) -> bool:
        if self.allowed_ips is None:
            return True
        if host is None:
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self.allowed_ips)


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
    "audit": {Action.read: frozenset({Role.admin}), Action.write: frozenset()},
}


def is_allowed(role: Role, resource: str, action: Action) -> bool:
    return role in PERMISSIONS[resource][action]


def scope_name(resource: str, action: Action) -> str:
    return f"{resource}:{action}"


def role_scopes(role: Role) -> frozenset[str]:
    """Every scope the role's permissions allow: `contacts:read`, `contacts:write`, ..."""
    return frozenset(
        scope_name(resource, action)
        for resource, actions in PERMISSIONS.items()
        for action, roles in actions.items()
        if role in roles
    )


ALL_SCOPES = tuple(
    scope_name(resource, action)
    for resource, actions in PERMISSIONS.items()
    for action, roles in actions.items()
    if roles
)


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """CIDR ranges (a single address is a range of one); ValueError for anything else."""
    return tuple(ipaddress.ip_network(value, strict=False) for value in values)


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
