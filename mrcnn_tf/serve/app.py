"""Assembly: the FastAPI application with the API routes, JSON error handlers, the body-size
limit on /v1/, and the Gradio page mounted at ``/`` (gr.mount_gradio_app).

Gradio's analytics are switched off before it is imported (GRADIO_ANALYTICS_ENABLED=False):
the server never calls out to the internet; the page's fonts and scripts are served locally.
"""
from __future__ import annotations

import json
import logging
import os

from mrcnn_tf.serve.errors import ApiError, error_body

LOG = logging.getLogger("mrcnn_tf.serve")
API_PREFIX = "/v1/"


class _BodyTooLarge(ApiError):
    pass


class BodyLimit:
    """ASGI middleware: a /v1/ request body above max_bytes is answered 413 (by its
    Content-Length before reading, or as soon as the bytes read pass the limit)."""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = int(max_bytes)

    def _error(self) -> _BodyTooLarge:
        return _BodyTooLarge(413, f"request body too large: more than {self.max_bytes:,} "
                                  "bytes (--max-body-mb)")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length", b"").decode("latin-1").strip()
        if length.isdigit() and int(length) > self.max_bytes:
            return await _send_json(send, 413, error_body(self._error().message))
        received = 0
        started = False

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise self._error()
            return message

        async def tracking_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge as err:
            if not started:
                await _send_json(send, 413, error_body(err.message))


async def _send_json(send, status: int, body: dict) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})


def create_app(service, settings, *, page: bool = True):
    """The FastAPI app for a ModelService and ServeSettings; starts the service's worker
    (which warms the model up). page=False leaves out the Gradio page."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    from fastapi import FastAPI
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from starlette.exceptions import HTTPException

    from mrcnn_tf import __version__
    from mrcnn_tf.serve.api import build_router

    app = FastAPI(title="mrcnn_tf", version=__version__,
                  description="Mask R-CNN instance segmentation: POST images to /v1/detect "
                              "(JSON) or /v1/render (PNG). The web page is at /.")
    app.include_router(build_router(service, settings))

    @app.exception_handler(ApiError)
    async def api_error(request, err: ApiError):
        headers = {"WWW-Authenticate": "Bearer"} if err.status == 401 else None
        return JSONResponse(error_body(err.message), status_code=err.status, headers=headers)

    @app.exception_handler(HTTPException)
    async def http_error(request, err: HTTPException):
        message = err.detail if isinstance(err.detail, str) else json.dumps(err.detail)
        if err.status_code == 404:
            message = f"no route {request.url.path!r} ({message})"
        return JSONResponse(error_body(message), status_code=err.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request, err: RequestValidationError):
        first = (err.errors() or [{}])[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return JSONResponse(error_body(f"{where}: {first.get('msg', 'invalid request')}"),
                            status_code=400)

    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.state.service, app.state.settings = service, settings
    service.start()
    if page:
        from mrcnn_tf.serve.page import mount_page

        app = mount_page(app, service, settings)
    return app
