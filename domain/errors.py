"""Domain errors. Each has a stable machine-readable `type` that the API answers with."""

from __future__ import annotations


class DomainError(Exception):
    """Raised when a command breaks a rule of the domain; nothing is recorded."""

    slug = "domain-rule"
    title = "The command breaks a rule of supervision work"
    status = 422

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    @property
    def type(self) -> str:
        return f"urn:ducha:problem:{self.slug}"


class InvalidCommand(DomainError):
    """Raised when a command's content is inconsistent (e.g. a window that ends before it starts)."""

    slug = "invalid-command"
    title = "The command's content is inconsistent"


class ActNotAllowed(DomainError):
    """Raised when the acting role or unit may not perform this act on this case."""

    slug = "act-not-allowed"
    title = "This role or unit may not perform this act"
    status = 403


class WrongState(DomainError):
    """Raised when the act does not fit the case's present state (the lifecycle's order)."""

    slug = "wrong-state"
    title = "The act does not fit the present state"
    status = 409


class ActDateInvalid(DomainError):
    """Raised when a command's `on` lies in the future or before the act it depends on."""

    slug = "act-date-invalid"
    title = "The date of the act is in the future or before the act it depends on"


class UnknownUnit(DomainError):
    """Raised when a command names a unit that the node's registry does not hold."""

    slug = "unknown-unit"
    title = "The unit is not in the registry"


class NotFound(DomainError):
    """Raised when the named object does not exist (or is not visible to the caller)."""

    slug = "not-found"
    title = "Not found"
    status = 404


class VersionConflict(DomainError):
    """Raised when the expected version (If-Match) is not the object's present version."""

    slug = "version-conflict"
    title = "The object has changed since the version you expected"
    status = 409
