"""Domain errors: each carries a stable code for clients and a human message."""

from __future__ import annotations


class VotingError(Exception):
    """A request that the rules refuse; nothing was changed."""

    code = "error"
    status = 400

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self._message = message
        if code:
            self.code = code

    @property
    def message(self) -> str:
        """Return the human message in the language of whoever reads it.

        A message may be a lazy translation (flask_babel.lazy_gettext): the vote batch
        makes refusals for every voter of the batch inside the request that leads it,
        and each voter's own request (or socket, in English) turns it into text here.
        """
        return str(self._message)

    def as_ack(self) -> dict:
        """Return the Socket.IO error acknowledgement for this error."""
        return {"ok": False, "error": self.code, "message": self.message}


class InvalidInput(VotingError):
    """Malformed or out-of-range input."""

    code = "invalid_input"


class NotFound(VotingError):
    """The thing asked for does not exist here."""

    code = "not_found"
    status = 404


class Forbidden(VotingError):
    """The caller may not do this."""

    code = "forbidden"
    status = 403


class NotAuthenticated(VotingError):
    """The caller must sign in or join first."""

    code = "not_authenticated"
    status = 401


class Conflict(VotingError):
    """The action clashes with the current state (e.g. the poll is closed)."""

    code = "conflict"
    status = 409


class Unavailable(VotingError):
    """A temporary failure: retry the same request later."""

    code = "unavailable"
    status = 503


class FieldErrors(InvalidInput):
    """Input refused field by field: `fields` maps each bad field's name to its message.

    Forms show each message at its field; the message of the error itself is the first
    field's, for callers that show one line (API, CLI).
    """

    def __init__(self, fields: dict[str, str], code: str = "invalid_fields") -> None:
        super().__init__(next(iter(fields.values())), code)
        self.fields = fields


class ServerError(VotingError):
    """A socket event failed unexpectedly (logged); it may be sent again as it was."""

    code = "server_error"
    status = 500


def unexpected_error_ack(error: Exception) -> dict:
    """Log a socket handler's unexpected failure and answer it, so no client waits for an ack.

    Without an answer a phone waits for its ack timeout before it can send again; under a
    vote burst that was thousands of phones at once when a shared service failed.
    """
    import logging

    from flask_babel import lazy_gettext

    logging.getLogger("voting").error("socket event failed", exc_info=error)
    message = lazy_gettext("Something went wrong on the server. Please try again.")
    return ServerError(message).as_ack()
