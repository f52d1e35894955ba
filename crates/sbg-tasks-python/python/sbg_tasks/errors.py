"""The exceptions of ``sbg_tasks``, named as sevenbridges-python names them.

Every one is an :class:`SbgError` carrying ``message``, ``code``, ``status`` and
``more_info`` (``None`` where they do not apply). The platform's answers are
:class:`ApiError` subclasses chosen by HTTP status; a 429 is a :class:`RateLimitError`
(a :class:`TooManyRequests`). A request that got no answer is a :class:`TransportError`; an
answer that could not be decoded is a :class:`DecodeError` with the body's ``excerpt``.
"""


class SbgError(Exception):
    """Base class of every error of this package."""

    def __init__(self, message=None, code=None, status=None, more_info=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.more_info = more_info

    def __str__(self):
        return str(self.message)


class ValidationError(SbgError):
    """A value given to a call is not usable (an id, a project, a status...): nothing was sent."""


class ConfigError(SbgError):
    """The token or the endpoint could not be resolved (arguments, environment, profile)."""


class PaginationError(SbgError):
    """A listing stopped part way (its pages no longer agree)."""


class TaskValidationError(SbgError):
    """A task was created but cannot run: ``task`` is the DRAFT, ``task.errors`` says why."""

    def __init__(self, message=None, task=None):
        super().__init__(message=message)
        self.task = task


class TaskTimeout(SbgError):
    """A wait ran out of time: ``task`` is the task as last seen."""

    def __init__(self, message=None, task=None):
        super().__init__(message=message)
        self.task = task


class NotStarted(SbgError):
    """A wait on a DRAFT, which would never end: ``task`` is the DRAFT."""

    def __init__(self, message=None, task=None):
        super().__init__(message=message)
        self.task = task


class BulkError(SbgError):
    """A bulk action could not start or go on (its journal); its tasks' failures are outcomes."""


class ApiError(SbgError):
    """The platform (or a proxy in front of it) answered with an error status.

    ``request_id`` is the answer's ``X-Request-Id`` (quote it to support). The subclasses
    are chosen by HTTP status; another status is a plain ``ApiError``.
    """

    _STATUS = None

    def __init__(self, code=None, message=None, more_info=None, status=None, request_id=None):
        super().__init__(
            message=message, code=code, more_info=more_info,
            status=self._STATUS if status is None else status,
        )
        self.request_id = request_id


class BadRequest(ApiError):
    """HTTP 400."""

    _STATUS = 400


class Unauthorized(ApiError):
    """HTTP 401: the token is missing, wrong or expired."""

    _STATUS = 401


class Forbidden(ApiError):
    """HTTP 403."""

    _STATUS = 403


class NotFound(ApiError):
    """HTTP 404 (code 7002 for an unknown task)."""

    _STATUS = 404


class MethodNotAllowed(ApiError):
    """HTTP 405."""

    _STATUS = 405


class RequestTimeout(ApiError):
    """HTTP 408."""

    _STATUS = 408


class Conflict(ApiError):
    """HTTP 409."""

    _STATUS = 409


class TooManyRequests(ApiError):
    """HTTP 429."""

    _STATUS = 429


class RateLimitError(TooManyRequests):
    """HTTP 429, after the client's own pacing and retries: ``limit``, ``remaining`` and
    ``reset`` (Unix seconds) are the window as the answer told it, when it did."""

    def __init__(self, code=None, message=None, more_info=None, status=None, request_id=None,
                 limit=None, remaining=None, reset=None):
        super().__init__(code=code, message=message, more_info=more_info, status=status,
                         request_id=request_id)
        self.limit = limit
        self.remaining = remaining
        self.reset = reset


class ServerError(ApiError):
    """HTTP 500 (and any 5xx without a class of its own)."""

    _STATUS = 500


class ServiceUnavailable(ServerError):
    """HTTP 503 (maintenance)."""

    _STATUS = 503


class TransportError(SbgError):
    """No answer: connection refused, timeout, TLS, a body over the size cap...

    ``kind`` names which (``connect``, ``timeout``, ``io``, ``tls``, ...).
    """

    def __init__(self, message=None, kind=None):
        super().__init__(message=message)
        self.kind = kind


class DecodeError(SbgError):
    """A success answer whose body could not be decoded: ``excerpt`` is the body around the
    problem (the whole body when short), ``status`` the HTTP status."""

    def __init__(self, message=None, status=None, excerpt=None, request_id=None):
        super().__init__(message=message, status=status)
        self.excerpt = excerpt
        self.request_id = request_id


__all__ = [
    "SbgError", "ValidationError", "ConfigError", "PaginationError", "TaskValidationError",
    "TaskTimeout", "NotStarted", "BulkError", "ApiError", "BadRequest", "Unauthorized",
    "Forbidden", "NotFound", "MethodNotAllowed", "RequestTimeout", "Conflict",
    "TooManyRequests", "RateLimitError", "ServerError", "ServiceUnavailable",
    "TransportError", "DecodeError",
]
