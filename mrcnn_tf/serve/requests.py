"""Reading a /v1/ request: its images (encoded bytes, named) and options.

Three body kinds:
- ``multipart/form-data``: image files in any file field (``-F image=@cat.jpg``), options as
  text fields (``-F min_score=0.8``);
- ``application/json``: ``{"images": ["<base64>", {"b64": "<base64>", "name": "x.jpg"}],
  "classes": "cat,dog", "min_score": 0.8, ...}`` (or ``"image": "<base64>"``);
- ``image/*`` (or ``application/octet-stream``): the body is one encoded image.
Options may also be query parameters (``?min_score=0.8``); the body's win.
"""
from __future__ import annotations

import dataclasses
import json

from mrcnn_tf.serve.errors import bad_request, unsupported
from mrcnn_tf.serve.images import decode_base64

OPTIONS = ("classes", "min_score", "box_format", "mask_format", "render")
IMAGE_FIELDS = ("image", "images")


@dataclasses.dataclass
class ParsedRequest:
    """images: [(name, encoded bytes)]; options: {name: value} (OPTIONS only)."""

    images: list
    options: dict


def _check_options(options: dict, allowed) -> dict:
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise bad_request(f"unknown field {unknown[0]!r}; this route takes "
                          f"{', '.join(sorted(set(allowed) | set(IMAGE_FIELDS)))}")
    return options


async def parse_request(request, *, max_images: int, allowed=OPTIONS) -> ParsedRequest:
    """The images and options of a request (see the module docstring). Raises ApiError."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    options = dict(request.query_params)
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        images, fields = await _multipart(request, max_images)
    elif content_type in ("application/json", "text/json"):
        images, fields = _json(await request.body())
    elif content_type.startswith("image/") or content_type == "application/octet-stream":
        images, fields = [("image", await request.body())], {}
    else:
        raise unsupported(f"Content-Type {content_type or '(none)'!r}: send multipart/form-data "
                          "(image files), application/json (base64 images) or image/* bytes")
    options.update(fields)
    if not images:
        raise bad_request("no image in the request: send image files (multipart field "
                          "'image'), JSON {\"images\": [\"<base64>\"]} or image/* bytes")
    if len(images) > max_images:
        raise bad_request(f"{len(images)} images in one request; at most {max_images}")
    return ParsedRequest(images, _check_options(options, allowed))


async def _multipart(request, max_images: int):
    from starlette.datastructures import UploadFile

    try:
        form = await request.form(max_files=max_images + 1, max_fields=64)
    except Exception as err:  # starlette's MultiPartException and parse errors
        if getattr(err, "status", None) == 413:
            raise
        raise bad_request(f"multipart body: {err}") from None
    images, fields = [], {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            images.append((value.filename or key, await value.read()))
        elif key in IMAGE_FIELDS:
            raise bad_request(f"field {key!r}: expected a file upload (curl -F {key}=@FILE)")
        else:
            fields[key] = value
    return images, fields


def _json(body: bytes):
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise bad_request(f"JSON body: not valid JSON ({err})") from None
    if not isinstance(document, dict):
        raise bad_request("JSON body: expected an object {\"images\": [...], ...}")
    document = dict(document)
    items = document.pop("images", None)
    if "image" in document:
        items = (items or []) + [document.pop("image")]
    if items is not None and not isinstance(items, list):
        raise bad_request("JSON field 'images': expected a list of base64 strings or "
                          "{\"b64\": ..., \"name\": ...} objects")
    images = []
    for i, item in enumerate(items or []):
        name = f"images[{i}]"
        if isinstance(item, dict):
            name = str(item.get("name") or name)
            item = item.get("b64", item.get("data"))
        images.append((name, decode_base64(item, name)))
    return images, document
