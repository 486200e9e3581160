"""Errors of the reports with stable ids (HTTP status attached)."""

from __future__ import annotations

from standardiste.domain.errors import DomainError, InvalidRequest


class ReportError(DomainError):
    """A report that cannot be produced."""

    status = 400


class BadReportRequest(InvalidRequest):
    """A report request with a wrong level, grain, period or format."""


class OutOfScope(ReportError):
    """A report about a part of the organisation outside the principal's scope."""

    status = 403
