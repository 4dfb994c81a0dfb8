"""Send images to a running TensorFlow Serving, print the detections and draw them.

Export and serve first (see docs/serving.md, "TensorFlow Serving"):

    mrcnn-tf export --weights coco --out exported/mask_rcnn
    docker run --rm -p 8501:8501 -p 8500:8500 \\
        -v "$PWD/exported/mask_rcnn:/models/mask_rcnn" -e MODEL_NAME=mask_rcnn tensorflow/serving

then:

    python3 samples/serving_client.py samples/images/*.jpg --out out/serving      # REST, :8501
    python3 samples/serving_client.py samples/images/cat.jpg --grpc localhost:8500  # gRPC

REST sends ``POST /v1/models/NAME:predict`` with ``{"instances": [{"b64": ...}]}`` (the file
bytes as they are: JPEG or PNG); gRPC needs ``pip install tensorflow-serving-api``.
``mrcnn_tf.export.results_from_serving`` turns either answer into detect()'s result dicts.
"""
from __future__ import annotations

import argparse
import base64
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

import cv2
import numpy as np

from mrcnn_tf.export import results_from_serving

SIGNATURE = "serving_default"


def read_image(path):
    """(file bytes, RGB uint8 [H, W, 3]) of an image file, decoded as TensorFlow decodes it
    (EXIF orientation ignored), so shapes agree with what the server sees."""
    data = Path(path).read_bytes()
    image = cv2.imdecode(np.frombuffer(data, np.uint8),
                         cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    if image is None:
        raise ValueError(f"{path}: not an image OpenCV can read")
    return data, cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def rest_request_body(encoded_images, signature=SIGNATURE) -> dict:
    """TF Serving REST predict body (row format) for encoded images (list of bytes)."""
    return {"signature_name": signature,
            "instances": [{"b64": base64.b64encode(data).decode("ascii")}
                          for data in encoded_images]}


def predict_rest(server, model, body, *, version=None, timeout=120) -> dict:
    """POST a predict body to ``server`` (e.g. http://localhost:8501); returns the JSON answer
    ({"predictions": [...]}). Raises RuntimeError with TF Serving's error message."""
    path = f"/v1/models/{model}" + (f"/versions/{version}" if version else "") + ":predict"
    request = urllib.request.Request(server.rstrip("/") + path, method="POST",
                                     data=json.dumps(body).encode("utf8"),
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as err:
        detail = err.read().decode("utf8", "replace")
        try:
            detail = json.loads(detail).get("error", detail)
        except ValueError:
            pass
        raise RuntimeError(f"TF Serving answered {err.code}: {detail}") from None
    except urllib.error.URLError as err:
        raise RuntimeError(f"cannot reach TF Serving at {server} ({err.reason}); is it "
                           f"running?") from None


def predict_grpc(target, model, encoded_images, *, signature=SIGNATURE, version=None,
                 timeout=120) -> dict:
    """Call PredictionService/Predict at ``target`` (e.g. localhost:8500) with encoded images.

    Returns the response's outputs as a dict of numpy arrays."""
    import grpc
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    request.model_spec.signature_name = signature
    if version:
        request.model_spec.version.value = int(version)
    request.inputs["image_bytes"].CopyFrom(
        tf.make_tensor_proto(list(encoded_images), dtype=tf.string))
    with grpc.insecure_channel(target, options=[("grpc.max_receive_message_length",
                                                 1 << 30)]) as channel:
        stub = prediction_service_pb2_grpc.PredictionServiceStub(channel)
        try:
            response = stub.Predict(request, timeout=timeout)
        except grpc.RpcError as err:
            raise RuntimeError(f"TF Serving gRPC at {target}: {err.code().name}: "
                               f"{err.details()}") from None
    return {name: tf.make_ndarray(proto) for name, proto in response.outputs.items()}


def class_names_from(outputs) -> list:
    """A class-name list indexed by class id, from the answer's detection_class_names."""
    rows = outputs["predictions"] if "predictions" in outputs else [
        {key: value[i] for key, value in outputs.items()}
        for i in range(len(outputs["num_detections"]))]
    known = {}
    for row in rows:
        for class_id, name in zip(np.ravel(row["detection_classes"]),
                                  np.ravel(row["detection_class_names"])):
            known[int(class_id)] = name.decode() if isinstance(name, bytes) else str(name)
    size = max(known, default=0) + 1
    return [known.get(i, "BG" if i == 0 else f"class_{i}") for i in range(size)]


def describe(path, result, class_names) -> str:
    """A few lines: the image, then one line per detection."""
    lines = [f"{path}: {len(result['class_ids'])} detections"]
    for i, (box, class_id) in enumerate(zip(result["rois"], result["class_ids"])):
        area = int(result["masks"][..., i].sum())
        lines.append(f"  {class_names[class_id]:<16} {result['scores'][i]:.3f}  box (y1, x1, "
                     f"y2, x2) {tuple(int(v) for v in box)}  mask {area} px")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("images", nargs="+", help="image files (JPEG, PNG)")
    parser.add_argument("--rest", default="http://localhost:8501",
                        help="TF Serving REST address (default http://localhost:8501)")
    parser.add_argument("--grpc", metavar="HOST:PORT", help="use gRPC at HOST:PORT instead")
    parser.add_argument("--model", default="mask_rcnn", help="model name (default mask_rcnn)")
    parser.add_argument("--version", type=int, help="model version (default: the latest)")
    parser.add_argument("--batch", type=int, default=4,
                        help="images per request (use 1 for a mask_format='image' export)")
    parser.add_argument("--out", help="folder for annotated pictures NAME.png (optional)")
    args = parser.parse_args(argv)

    for start in range(0, len(args.images), max(args.batch, 1)):
        paths = args.images[start:start + max(args.batch, 1)]
        try:
            encoded, images = zip(*(read_image(p) for p in paths))
            if args.grpc:
                outputs = predict_grpc(args.grpc, args.model, encoded, version=args.version)
            else:
                outputs = predict_rest(args.rest, args.model, rest_request_body(encoded),
                                       version=args.version)
        except (OSError, ValueError, RuntimeError) as err:
            print(f"serving_client: error: {err}", file=sys.stderr)
            return 1
        results = results_from_serving(outputs, [image.shape for image in images])
        class_names = class_names_from(outputs)
        for path, image, result in zip(paths, images, results):
            print(describe(path, result, class_names))
            if args.out:
                from mrcnn_tf.visualize import draw_instances

                Path(args.out).mkdir(parents=True, exist_ok=True)
                picture = draw_instances(image, result, class_names)
                target = Path(args.out) / f"{Path(path).stem}.png"
                cv2.imwrite(str(target), cv2.cvtColor(picture, cv2.COLOR_RGB2BGR))
    return 0


if __name__ == "__main__":
    sys.exit(main())
