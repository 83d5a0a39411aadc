"""Sign-in (Flask-Login, password hashes), CSRF on every form (Flask-WTF), role checks."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf import CSRFProtect, FlaskForm
from werkzeug.security import check_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

import engine
from engine.kernel import access, model
from engine.kernel.errors import Forbidden
from web.deps import services
from web.i18n import LANGUAGES

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
csrf = CSRFProtect()
STAFF = tuple(sorted(access.STAFF))  # the rule itself is the engine's (engine/kernel/access.py)
PERSONAL_DATA_ROLES = access.PERSONAL_DATA


class StaffUser(UserMixin):
    """The signed-in account as Flask-Login sees it."""

    def __init__(self, user: model.User):
        self.user = user
        self.id = user.username
        self.roles = user.roles

    @property
    def actor(self) -> model.Actor:
        return self.user.actor()

    def sees_personal_data(self) -> bool:
        return access.sees_personal_data(self.actor)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    csrf.init_app(app)


@login_manager.user_loader
def _load(username: str) -> StaffUser | None:
    try:
        return StaffUser(engine.get_user(username, uow=services().uow))
    except Forbidden:
        return None


def roles_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Signed in and holding one of `roles`, else 403."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.roles & set(roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorate


class LoginForm(FlaskForm):
    username = StringField("username", validators=[DataRequired(), Length(max=100)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=200)])


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    """Sign in with a username and password."""
    form = LoginForm()
    if form.validate_on_submit():
        user = _load(form.username.data or "")
        if user and check_password_hash(user.user.password_hash, form.password.data or ""):
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or home_for(user))
        flash(_("Unknown user or wrong password."), "error")
        return render_template("login.html", form=form), 401
    return render_template("login.html", form=form), 400 if form.errors else 200


@bp.post("/logout")
@login_required
def logout():  # type: ignore[no-untyped-def]
    """Sign out."""
    logout_user()
    return redirect(url_for("auth.login"))


@bp.post("/language")
def language():  # type: ignore[no-untyped-def]
    """Switch the interface language (Russian / English)."""
    chosen = request.form.get("lang")
    if chosen not in LANGUAGES:
        abort(400)
    session["lang"] = chosen
    return redirect(_safe_next(request.form.get("next")) or url_for("tasks.index"))


def home_for(user: StaffUser) -> str:
    """Where a user starts: staff at the task list, process owners at the processes, auditors at
    the audit pages, data-protection officers at theirs."""
    if user.roles & set(STAFF):
        return url_for("tasks.index")
    if "process_owner" in user.roles:
        return url_for("processes.index")
    if "auditor" in user.roles:
        return url_for("audit.index")
    if "dpo" in user.roles:
        return url_for("audit.privacy")
    return url_for("tasks.index")


def _safe_next(target: str | None) -> str | None:
    """Only local paths: never redirect a signed-in user to another site.

    Browsers read `//host`, `/\\host` and `/<tab>/host` as another site (they turn backslashes into
    slashes and drop tabs and line breaks), so a path must start with one slash and hold neither.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None
