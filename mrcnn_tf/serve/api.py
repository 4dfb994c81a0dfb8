"""The REST routes: POST /v1/detect, POST /v1/render, GET /v1/model, /healthz, /readyz.

Every route answers JSON errors ``{"error": "..."}`` naming the problem (4xx), 503 when the
model did not answer within the timeout, and 500 without details for anything unexpected
(the traceback goes to the server's log, never to the client).
"""
from __future__ import annotations

import hmac
import logging

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from mrcnn_tf.serve import records
from mrcnn_tf.serve.errors import ApiError, bad_request, error_body
from mrcnn_tf.serve.images import decode_image, encode_png
from mrcnn_tf.serve.requests import parse_request
from mrcnn_tf.serve.service import ServiceBusy

LOG = logging.getLogger("mrcnn_tf.serve")
RENDERS = ("overlay", "splash")

_IMAGE_BODY = {"type": "string", "format": "binary"}
DETECT_BODY = {"requestBody": {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["image"], "properties": {
        "image": {"type": "array", "items": _IMAGE_BODY, "description": "one or more images"},
        "classes": {"type": "string", "description": "keep these classes: person,car"},
        "min_score": {"type": "number", "minimum": 0, "maximum": 1},
        "box_format": {"type": "string", "enum": list(records.BOX_FORMATS)},
        "mask_format": {"type": "string", "enum": list(records.MASK_FORMATS)},
        "render": {"type": "string", "enum": list(RENDERS), "description": "/v1/render"}}}},
    "application/json": {"schema": {"type": "object", "properties": {
        "images": {"type": "array", "items": {"type": "string", "format": "base64"}},
        "classes": {"type": "string"}, "min_score": {"type": "number"},
        "box_format": {"type": "string"}, "mask_format": {"type": "string"},
        "render": {"type": "string"}}}},
    "image/*": {"schema": _IMAGE_BODY}}}}


def error_response(status: int, message: str) -> JSONResponse:
    return JSONResponse(error_body(message), status_code=status)


def build_router(service, settings) -> APIRouter:
    """The routes, bound to a ModelService and ServeSettings."""
    router = APIRouter()
    names = list(settings.class_names)

    def require_key(request: Request):
        if settings.api_key is None:
            return
        header = request.headers.get("authorization", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(key.strip().encode(),
                                                                 settings.api_key.encode()):
            raise ApiError(401, "missing or wrong API key: send the header "
                                "'Authorization: Bearer KEY'")

    async def run_model(parsed):
        """Decoded images and their detect() results. Raises ApiError."""
        images = []
        for name, data in parsed.images:
            images.append(await run_in_threadpool(decode_image, data, name,
                                                  max_pixels=settings.max_pixels))
        try:
            return images, await service.detect_async(images, timeout=settings.timeout)
        except ServiceBusy as err:
            raise ApiError(503, str(err)) from None
        except ValueError as err:  # detect() names the image: "image[i]: problem"
            message = str(err)
            for i, (name, _) in enumerate(parsed.images):
                message = message.replace(f"image[{i}]:", f"image {name!r}:")
            raise bad_request(message) from None

    async def guarded(handler):
        try:
            return await handler()
        except ApiError as err:
            headers = {"WWW-Authenticate": "Bearer"} if err.status == 401 else None
            return JSONResponse(error_body(err.message), status_code=err.status,
                                headers=headers)
        except Exception:
            LOG.exception("request failed")
            return error_response(500, "internal server error (the details are in the "
                                       "server's log)")

    @router.post("/v1/detect", dependencies=[Depends(require_key)], openapi_extra=DETECT_BODY,
                 summary="Detect objects in one or more images",
                 description="Answers {\"images\": [record]}: per image the fields "
                             "'mrcnn-tf detect --out' writes to NAME.json.")
    async def detect(request: Request):
        async def handle():
            parsed = await parse_request(request, max_images=settings.max_images)
            options = _options(parsed.options)
            if "render" in parsed.options:
                raise bad_request("render is a /v1/render field; /v1/detect answers JSON")
            images, results = await run_model(parsed)

            def answer():
                out = []
                for (name, _), result in zip(parsed.images, results):
                    result = records.apply_filters(result, names, classes=options["classes"],
                                                   min_score=options["min_score"])
                    out.append(records.image_record(result, names, name=name,
                                                    box_format=options["box_format"],
                                                    mask_format=options["mask_format"]))
                return {"images": out}

            return JSONResponse(await run_in_threadpool(answer))
        return await guarded(handle)

    @router.post("/v1/render", dependencies=[Depends(require_key)], openapi_extra=DETECT_BODY,
                 summary="The image with its detections drawn, as PNG",
                 response_class=Response,
                 responses={200: {"content": {"image/png": {}}}})
    async def render(request: Request):
        async def handle():
            parsed = await parse_request(request, max_images=1)
            options = _options(parsed.options)
            mode = records.check_choice("render", parsed.options.get("render") or "overlay",
                                        RENDERS)
            images, results = await run_model(parsed)

            def draw():
                from mrcnn_tf import visualize
                result = records.apply_filters(results[0], names, classes=options["classes"],
                                               min_score=options["min_score"])
                if mode == "splash":
                    return encode_png(visualize.color_splash(images[0], result))
                return encode_png(visualize.draw_instances(images[0], result, names))

            return Response(await run_in_threadpool(draw), media_type="image/png")
        return await guarded(handle)

    @router.get("/v1/model", dependencies=[Depends(require_key)],
                summary="The model: weights, family, backbone, classes, precision, sizes")
    async def model_info():
        return records.model_description(service.model, settings)

    @router.get("/healthz", summary="The process is up")
    async def healthz():
        return {"status": "ok"}

    @router.get("/readyz", summary="The model has answered its first call")
    async def readyz():
        if service.ready:
            return {"ready": True, "waiting": service.waiting}
        problem = service.warmup_error
        return JSONResponse({"ready": False, "error": (f"the model's first call failed: "
                                                        f"{problem}" if problem else
                                                        "the model is still loading")},
                            status_code=503)

    @router.api_route("/v1/{path:path}", methods=["GET", "POST", "PUT", "DELETE", "PATCH"],
                      include_in_schema=False)
    async def unknown(path: str):
        return error_response(404, f"no route /v1/{path}; the API has /v1/detect, "
                                   "/v1/render and /v1/model (see /docs)")

    return router


def _options(options: dict) -> dict:
    return {"classes": options.get("classes") or None,
            "min_score": records.check_min_score(options.get("min_score")),
            "box_format": records.check_choice("box_format",
                                               options.get("box_format") or "yxyx",
                                               records.BOX_FORMATS),
            "mask_format": records.check_choice("mask_format",
                                                options.get("mask_format") or "rle",
                                                records.MASK_FORMATS)}
