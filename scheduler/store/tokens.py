"""API tokens as the store keeps them: only a token's SHA-256, its unit, role and label, and when
it was revoked. Hashing, roles and what a token reaches are ``scheduler.web.access``'s."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement
from sqlmodel import col, select, update

from scheduler.store.base import Queries
from scheduler.store.schema import TokenRow

Grant = tuple[int, str, str]  # a live token: (id, unit, role)


class TokenQueries(Queries):
    def add_token(
        self, token_hash: str, unit: str, role: str, label: str, created_at: datetime
    ) -> int:
        """Store a new token's hash; its id."""
        row = TokenRow(
            token_hash=token_hash, unit=unit, role=role, label=label, created_at=created_at
        )
        self.session.add(row)
        self.session.flush()
        assert row.id is not None
        return row.id

    def live_token_by_hash(self, token_hash: str) -> Grant | None:
        """The token with this hash, unless it is unknown or revoked."""
        return self._live(col(TokenRow.token_hash) == token_hash)

    def live_token_by_id(self, token_id: int) -> Grant | None:
        """The token with this id (a page session's), unless it is unknown or revoked."""
        return self._live(col(TokenRow.id) == token_id)

    def _live(self, condition: ColumnElement[bool]) -> Grant | None:
        found = self.session.exec(
            select(TokenRow.id, TokenRow.unit, TokenRow.role)
            .where(condition)
            .where(col(TokenRow.revoked_at).is_(None))
        ).first()
        if found is None or found[0] is None:
            return None
        return found[0], found[1], found[2]

    def revoke_token(self, token_id: int, at: datetime) -> bool | None:
        """Revoke a token at ``at``: True when it was live, False when revoked already, None
        when there is no such token."""
        revoked = self.session.exec(
            update(TokenRow)
            .where(col(TokenRow.id) == token_id)
            .where(col(TokenRow.revoked_at).is_(None))
            .values(revoked_at=at)
        )
        if revoked.rowcount == 1:
            return True
        known = self.session.exec(select(TokenRow.id).where(col(TokenRow.id) == token_id))
        return False if known.first() is not None else None
