"""Discord-shaped API errors raised by handlers and turned into JSON replies by the server."""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]


class APIError(Exception):
    """An error reply exactly as Discord would send it (status, numeric code, message, optional ``errors``)."""

    def __init__(self, status: int, code: int, message: str, errors: JSON | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> JSON:
        body: JSON = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def unauthorized() -> APIError:
    return APIError(401, 0, "401: Unauthorized")


def not_found_route() -> APIError:
    return APIError(404, 0, "404: Not Found")


def unknown_channel() -> APIError:
    return APIError(404, 10003, "Unknown Channel")


def unknown_guild() -> APIError:
    return APIError(404, 10004, "Unknown Guild")


def unknown_member() -> APIError:
    return APIError(404, 10007, "Unknown Member")


def unknown_role() -> APIError:
    return APIError(404, 10011, "Unknown Role")


def unknown_message() -> APIError:
    return APIError(404, 10008, "Unknown Message")


def unknown_webhook() -> APIError:
    return APIError(404, 10015, "Unknown Webhook")


def unknown_interaction() -> APIError:
    return APIError(404, 10062, "Unknown interaction")


def unknown_event() -> APIError:
    return APIError(404, 10070, "Unknown Guild Scheduled Event")


def missing_access() -> APIError:
    return APIError(403, 50001, "Missing Access")


def missing_permissions() -> APIError:
    return APIError(403, 50013, "Missing Permissions")


def already_acknowledged() -> APIError:
    return APIError(400, 40060, "Interaction has already been acknowledged.")


def invalid_webhook_token() -> APIError:
    return APIError(401, 50027, "Invalid Webhook Token")


def invalid_form_body(errors: JSON) -> APIError:
    return APIError(400, 50035, "Invalid Form Body", errors)


def invalid_channel_type() -> APIError:
    """50024, e.g. a thread started in a thread or a voice channel (Opcodes and Status Codes, JSON Error Codes)."""
    return APIError(400, 50024, "Cannot execute action on this channel type")


def thread_archived(status: int = 400) -> APIError:
    """50083: "Tried to perform an operation on an archived thread, such as editing a message or adding a user to
    the thread" (JSON Error Codes); Discord's message is "Thread is archived" (undiscord #399, discord-api-docs
    #6884, #6928). It comes as 403 when a send is refused because the thread is locked (discord-api-docs #7707)."""
    return APIError(status, 50083, "Thread is archived")


def thread_already_created() -> APIError:
    return APIError(400, 160004, "A thread has already been created for this message")


def thread_locked() -> APIError:
    return APIError(403, 160005, "Thread is locked")


def max_active_threads() -> APIError:
    return APIError(400, 160006, "Maximum number of active threads reached")
