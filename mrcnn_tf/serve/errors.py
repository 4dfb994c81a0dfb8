"""Answers for bad requests: an ApiError carries the HTTP status and a one-line message that
names the input and the problem; the client receives ``{"error": message}``."""
from __future__ import annotations


class ApiError(Exception):
    """A request the server refuses: status (4xx, or 503 when busy) and message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = int(status)
        self.message = str(message)


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def too_large(message: str) -> ApiError:
    return ApiError(413, message)


def unsupported(message: str) -> ApiError:
    return ApiError(415, message)


def error_body(message: str) -> dict:
    """The JSON body of every error answer."""
    return {"error": message}
