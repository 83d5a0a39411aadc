"""Staff accounts on SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update

from engine.kernel import model
from persistence import tables as t
from persistence.rows import SqlStore


class SqlUsers(SqlStore):
    def add(self, user: model.User) -> None:
        self._run(insert(t.users).values(**dict(vars(user), roles=" ".join(sorted(user.roles)))))

    def get(self, username: str) -> model.User | None:
        row = self.c.execute(select(t.users).where(t.users.c.username == username)).first()
        return _user(row) if row else None

    def list(self) -> list[model.User]:
        return [_user(row) for row in self.c.execute(select(t.users).order_by(t.users.c.username))]

    def set_password(self, username: str, password_hash: str) -> None:
        self._run(update(t.users).where(t.users.c.username == username).values(password_hash=password_hash))


def _user(row: Any) -> model.User:
    values = dict(row._mapping)
    return model.User(**dict(values, roles=frozenset(values["roles"].split())))
