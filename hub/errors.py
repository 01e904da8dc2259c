"""One error tree for the hub; the web layer maps it to HTTP statuses."""


class HubError(Exception):
    """Base class of every error the hub raises on purpose."""

    status_code = 400


class ConfigurationError(HubError):
    """A setting or environment variable is missing or invalid."""

    status_code = 500


class ValidationError(HubError):
    """Input failed validation; ``field_errors`` maps form fields to messages."""

    status_code = 422

    def __init__(self, message: str, field_errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.field_errors = field_errors or {}


class NotFoundError(HubError):
    """The record does not exist or is outside the caller's clients."""

    status_code = 404


class ConflictError(HubError):
    """The request conflicts with the current state of a record."""

    status_code = 409
