"""The API's one error family: what a rule or a service raises on purpose.

The HTTP edge renders each as an RFC 9457 problem document (`services.api.http.problems`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel


class FieldProblem(BaseModel):
    """One offending field: its name, a JSON pointer into the request and what is wrong."""

    field: str
    pointer: str
    detail: str
    type: str = "invalid"


class ProblemError(Exception):
    """Base of every error the API answers with on purpose."""

    status = 500
    slug = "internal-error"
    title = "Internal server error"

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        errors: Sequence[FieldProblem] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)
        if field is not None:
            self.errors.insert(0, field_problem(field, detail))
        self.headers = dict(headers or {})


class BadRequest(ProblemError):
    status, slug, title = 400, "bad-request", "The request could not be read"


class NotFound(ProblemError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(ProblemError):
    status, slug, title = 409, "conflict", "Conflict with the current state"


class PreconditionFailed(ProblemError):
    status, slug, title = 412, "precondition-failed", "Changed since it was read"


class PreconditionRequired(ProblemError):
    status, slug, title = 428, "precondition-required", "If-Match is required"


class PayloadTooLarge(ProblemError):
    status, slug, title = 413, "payload-too-large", "Request body too large"


class UnsupportedMediaType(ProblemError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported content type"


class Invalid(ProblemError):
    status, slug, title = 422, "invalid", "The request is not valid"


class ServiceUnavailable(ProblemError):
    status, slug, title = 503, "unavailable", "Service temporarily unavailable"


def field_problem(field: str, detail: str, kind: str = "invalid") -> FieldProblem:
    """A FieldProblem for a dotted field name."""
    pointer = "/" + "/".join(field.split(".")) if field else ""
    return FieldProblem(field=field, pointer=pointer, detail=detail, type=kind)
