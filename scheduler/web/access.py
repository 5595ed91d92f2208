"""Who may do what: API tokens and the units they reach.

A token belongs to a unit and a role. ``officer`` acts on its own unit; ``supervisor`` and
``leader`` on their unit and every unit below it; ``admin`` on all. Tokens are random, shown
once, and stored only as SHA-256; they are never logged.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from scheduler.errors import InvalidInput, NotFound
from scheduler.store.queries import Store

TOKEN_ROLES = ("officer", "supervisor", "leader", "admin")
PREFIX = "hb_"


@dataclass(frozen=True)
class Principal:
    token_id: int
    unit: str
    role: str

    @property
    def actor(self) -> str:
        """How the audit trail names this token (never the token itself)."""
        return f"token:{self.token_id}:{self.unit}:{self.role}"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(store: Store, unit: str, role: str, label: str, now: datetime) -> tuple[int, str]:
    """A new token for ``unit`` and ``role``: (its id, the token, to show once)."""
    if role not in TOKEN_ROLES:
        raise InvalidInput(
            f"--role: vai trò không có / unknown role {role!r}; dùng / use {', '.join(TOKEN_ROLES)}"
        )
    if unit not in store.units([unit]):
        raise NotFound(f"không có đơn vị / unknown unit {unit!r}")
    token = PREFIX + secrets.token_urlsafe(32)
    token_id = store.add_token(_hash(token), unit, role, label, now)
    store.audit(now, "cli", "token_created", token_id=token_id, unit=unit, role=role)
    return token_id, token


def revoke_token(store: Store, token_id: int, now: datetime) -> None:
    """A revoked token stops working at once: API calls and page sessions alike."""
    revoked = store.revoke_token(token_id, now)
    if revoked is None:
        raise NotFound(f"không có token / unknown token {token_id}")
    if revoked:
        store.audit(now, "cli", "token_revoked", token_id=token_id)


def authenticate(store: Store, token: str) -> Principal | None:
    if not token.startswith(PREFIX):
        return None
    grant = store.live_token_by_hash(_hash(token))
    return Principal(*grant) if grant else None


def principal(store: Store, token_id: int) -> Principal | None:
    grant = store.live_token_by_id(token_id)
    return Principal(*grant) if grant else None


class Placed(Protocol):
    """A unit where the tree has it: a ``Unit``, or the store's ``Branch`` (no contacts)."""

    @property
    def code(self) -> str: ...

    @property
    def parent(self) -> str | None: ...


def reach(who: Principal, units: Mapping[str, Placed]) -> set[str]:
    """The unit codes ``who`` may see and act on."""
    if who.role == "admin":
        return set(units)
    if who.role == "officer":
        return {who.unit}
    children: dict[str, list[str]] = {}
    for unit in units.values():
        if unit.parent:
            children.setdefault(unit.parent, []).append(unit.code)
    reached, frontier = {who.unit}, [who.unit]
    while frontier:
        for child in children.get(frontier.pop(), []):
            if child not in reached:
                reached.add(child)
                frontier.append(child)
    return reached
