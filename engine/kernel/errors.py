"""Domain errors: each maps to one HTTP status in web/errors.py and one exit code in the CLI."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a user can cause; the message is shown to them as is."""

    status = 400


class InvalidInput(DomainError):
    """Form or intake data that does not satisfy its schema; `errors` maps field -> messages."""

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.errors = errors or {}


class NotFound(DomainError):
    status = 404


class CaseNotFound(NotFound):
    pass


class TaskNotFound(NotFound):
    pass


class VersionNotFound(NotFound):
    pass


class MessageNotFound(NotFound):
    pass


class Forbidden(DomainError):
    """The actor's roles do not include the lane of the task."""

    status = 403


class Conflict(DomainError):
    status = 409


class TaskNotReady(Conflict):
    def __init__(self, message: str, completed_by: str | None = None):
        super().__init__(message)
        self.completed_by = completed_by  # who completed it, when it is done already


class StaleCase(Conflict):
    """Another transaction changed the case first (optimistic lock on `revision`)."""


class InvalidBpmn(DomainError):
    """A BPMN upload that is unsafe, malformed or not executable; `problems` lists each finding."""

    status = 422

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or [message]

    def __str__(self) -> str:
        if self.problems == [self.args[0]]:
            return self.args[0]
        return self.args[0] + "\n" + "\n".join(f"  - {p}" for p in self.problems)


class ProcessError(Exception):
    """The process itself failed (a script error, a sandbox violation, a runaway loop)."""


class DeliveryFailed(Exception):
    """A message could not be handed to the mail server.

    `permanent`: retrying cannot help (no address, recipient refused); `unreachable`: the
    server itself is down or refuses us, so the other messages need not be tried now.
    """

    def __init__(self, message: str, *, permanent: bool = False, unreachable: bool = False):
        super().__init__(message)
        self.permanent, self.unreachable = permanent, unreachable
