"""``mrcnn-tf serve``: a web page and a REST API for one model (mrcnn_tf.serve), on uvicorn."""
from __future__ import annotations

import argparse
import importlib.util
import os
import socket
import sys

from mrcnn_tf.cli.arguments import (add_max_pixels_argument, add_model_arguments,
                                    describe_command, positive_float, positive_int, unit_float)

DESCRIPTION = """\
Serve one Mask R-CNN model over HTTP: a web page at / (upload or paste an image or a short
video clip, see masks and labels, filter by score and class, download JSON, PNG and cut-outs)
and a REST API:

  POST /v1/detect   images (multipart files, JSON with base64, or image/* bytes) ->
                    {"images": [per-image JSON as detect --out writes NAME.json]};
                    fields classes, min_score, box_format (yxyx|xyxy|xywh),
                    mask_format (rle|polygon|none)
  POST /v1/render   one image -> the annotated PNG (render=overlay|splash)
  GET  /v1/model    weights, family, backbone, classes, precision, image sizes
  GET  /healthz     the process is up;  GET /readyz  the model has answered its first call
  GET  /docs        the OpenAPI documentation

One worker thread owns the model; requests queue for it, and a request that waits longer
than --timeout is answered 503. The server listens on 127.0.0.1 unless --host says otherwise;
it has no authentication unless --api-key (or MRCNN_TF_API_KEY) is set, which /v1/ routes
then require as 'Authorization: Bearer KEY' and the page as password.
"""

EPILOG = """\
examples:
  mrcnn-tf serve --weights coco
  curl -F image=@samples/images/cat.jpg http://127.0.0.1:8080/v1/detect
  curl -F image=@samples/images/cat.jpg -F render=splash http://127.0.0.1:8080/v1/render -o splash.png

Needs the serve extra: pip install "mrcnn_tf[serve]".
"""

EXTRA_MODULES = {"fastapi": "fastapi", "uvicorn": "uvicorn", "python_multipart":
                 "python-multipart", "gradio": "gradio"}
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def port_number(text) -> int:
    value = positive_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port (1-65535)")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The serve command's arguments."""
    describe_command(parser, description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1: this machine only; "
                             "0.0.0.0: every interface)")
    parser.add_argument("--port", type=port_number, default=8080, help="default 8080")
    parser.add_argument("--api-key", default=os.environ.get("MRCNN_TF_API_KEY"),
                        metavar="KEY", help="require 'Authorization: Bearer KEY' on /v1/ "
                                            "(default: $MRCNN_TF_API_KEY, else none)")
    parser.add_argument("--timeout", type=positive_float, default=30.0, metavar="SECONDS",
                        help="answer 503 when a request waited this long for the model "
                             "(default 30)")
    add_max_pixels_argument(parser, "a larger one is answered 413")
    parser.add_argument("--max-body-mb", type=positive_float, default=64.0, metavar="MB",
                        help="largest request body in MiB (default 64)")
    parser.add_argument("--max-images", type=positive_int, default=16, metavar="N",
                        help="images in one /v1/detect request (default 16)")
    parser.add_argument("--max-batch", type=positive_int, default=1, metavar="N",
                        help="images of queued requests run together in one model call "
                             "(default 1: one request at a time)")
    parser.add_argument("--max-video-seconds", type=positive_float, default=10.0,
                        metavar="SECONDS", help="the page processes this much of a clip "
                                                "(default 10)")
    parser.add_argument("--no-page", action="store_true", help="the REST API only, no page")
    parser.add_argument("--log-level", default="info",
                        choices=("critical", "error", "warning", "info", "debug"),
                        help="uvicorn's log level (default info)")
    group = add_model_arguments(parser, exported=True)
    group.add_argument("--min-score", type=unit_float, metavar="S",
                       help="the model's DETECTION_MIN_CONFIDENCE (default 0.7): the lowest "
                            "score a request or the page's slider can see")
    parser.set_defaults(run=run)


def _error(message: str) -> None:
    print(f"mrcnn-tf serve: error: {message}", file=sys.stderr)


def missing_extra() -> list:
    """The serve extra's packages that are not installed."""
    return [package for module, package in EXTRA_MODULES.items()
            if importlib.util.find_spec(module) is None]


def check_port(host: str, port: int) -> str | None:
    """A one-line problem when host:port cannot be listened on, else None."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        return f"--host {host!r}: unknown address ({err.strerror})"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as err:
            return f"cannot listen on {host}:{port} ({err.strerror or err})"
    return None


def exposure_warning(host: str, api_key) -> str | None:
    """The one-line warning for a server reachable from other machines without a key."""
    if host in LOOPBACK or api_key:
        return None
    return (f"mrcnn-tf serve: warning: listening on {host}: the server has no "
            "authentication, anyone who can reach the port can use it (--api-key KEY)")


def run(args) -> int:
    """Run the server with parsed arguments; returns the exit status."""
    missing = missing_extra()
    if missing:
        _error(f"serve needs the serve extra ({', '.join(missing)} missing): "
               "pip install \"mrcnn_tf[serve]\"")
        return 2
    problem = check_port(args.host, args.port)
    if problem:
        _error(problem)
        return 2
    from mrcnn_tf.cli.model_setup import SetupError, model_or_exported, resolve_weights

    try:
        model, classes = model_or_exported(args, command="serve", quiet=False)
        weights = model.path if args.model else resolve_weights(args.weights, quiet=True)
    except SetupError as err:
        _error(str(err))
        return 2
    from mrcnn_tf.serve import ModelService, ServeSettings, create_app

    settings = ServeSettings(class_names=classes.names, weights=str(weights),
                             timeout=args.timeout, max_pixels=args.max_pixels,
                             max_body_bytes=int(args.max_body_mb * (1 << 20)),
                             max_images=args.max_images, api_key=args.api_key or None,
                             max_video_seconds=args.max_video_seconds)
    app = create_app(ModelService(model, max_batch=args.max_batch), settings,
                     page=not args.no_page)
    warning = exposure_warning(args.host, settings.api_key)
    if warning:
        print(warning, file=sys.stderr)
    url_host = f"[{args.host}]" if ":" in args.host else args.host
    page = "no page (--no-page)" if args.no_page else "the page"
    print(f"mrcnn-tf serve: http://{url_host}:{args.port}/: {page}, /docs: the API, /readyz: "
          "200 once the model has warmed up; Ctrl-C stops", file=sys.stderr, flush=True)
    import uvicorn

    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0
