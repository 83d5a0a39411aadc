"""Staff accounts: who may act, with which roles (lanes come from the policy's mapping)."""

from __future__ import annotations

from engine.kernel import model, ports
from engine.kernel.errors import Forbidden, InvalidInput

ROLES = ("intake", "officer", "quality", "supervisor", "process_owner", "auditor", "dpo")


def add_user(user: model.User, *, uow: ports.UnitOfWork) -> None:
    """Create an account; unknown roles are refused, an existing username is a Conflict."""
    unknown = set(user.roles) - set(ROLES)
    if unknown or not user.roles:
        raise InvalidInput(f"Unknown or missing roles: {', '.join(sorted(unknown)) or 'none given'}.")
    with uow:
        uow.users.add(user)
        uow.commit()


def get_user(username: str, *, uow: ports.UnitOfWork) -> model.User:
    with uow:
        user = uow.users.get(username)
    if user is None:
        raise Forbidden(f"No user {username!r}.")
    return user


def list_users(*, uow: ports.UnitOfWork) -> list[model.User]:
    with uow:
        return uow.users.list()


def set_password(username: str, password_hash: str, *, uow: ports.UnitOfWork) -> None:
    """Replace a user's password hash (the web layer hashes)."""
    with uow:
        if uow.users.get(username) is None:
            raise Forbidden(f"No user {username!r}.")
        uow.users.set_password(username, password_hash)
        uow.commit()
