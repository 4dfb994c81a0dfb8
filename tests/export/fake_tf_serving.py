"""A stand-in for TensorFlow Serving (whose binary cannot be installed here), for client tests.

    python fake_tf_serving.py --model-name NAME --model-base-path DIR [--lifetime SECONDS]

Loads the highest version under DIR with tf.saved_model.load in this fresh process and serves
it on 127.0.0.1 as TF Serving does: REST ``POST /v1/models/NAME[/versions/N]:predict`` (row
format "instances" in, "predictions" out; ``{"b64": ...}`` for binary strings; errors as
``{"error": ...}``) and gRPC ``tensorflow.serving.PredictionService/Predict`` when
tensorflow-serving-api is installed. Prints ``READY rest=PORT grpc=PORT|none`` when listening
and stops by itself after --lifetime seconds.
"""
import argparse
import base64
import json
import os
import threading
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


class Model:
    def __init__(self, name, base_path):
        self.name = name
        self.version = max(int(d) for d in os.listdir(base_path) if d.isdigit())
        self.loaded = tf.saved_model.load(os.path.join(base_path, str(self.version)))
        self.lock = threading.Lock()

    def predict(self, signature_name, inputs):
        """inputs: {name: numpy array} -> {name: numpy array}."""
        function = self.loaded.signatures[signature_name or "serving_default"]
        specs = function.structured_input_signature[1]
        with self.lock:
            outputs = function(**{k: tf.constant(v, specs[k].dtype) for k, v in inputs.items()})
        return {k: v.numpy() for k, v in outputs.items()}


def _json_value(name, value):
    if isinstance(value, np.ndarray):
        return [_json_value(name, v) for v in value] if value.dtype == object else value.tolist()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bytes):
        if name.endswith("_bytes"):
            return {"b64": base64.b64encode(value).decode("ascii")}
        return value.decode("utf8")
    return value


def _from_json(value):
    if isinstance(value, dict) and set(value) == {"b64"}:
        return base64.b64decode(value["b64"])
    if isinstance(value, list):
        return [_from_json(v) for v in value]
    return value


def rest_handler(model):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _reply(self, status, body):
            data = json.dumps(body).encode("utf8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            prefix = f"/v1/models/{model.name}"
            path = self.path
            if not (path.startswith(prefix) and path.endswith(":predict")):
                return self._reply(404, {"error": f"Servable not found for request: {path}"})
            version = path[len(prefix):-len(":predict")]
            if version not in ("", f"/versions/{model.version}"):
                return self._reply(404, {"error": f"Servable not found: {path}"})
            try:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                signature = body.get("signature_name", "serving_default")
                specs = model.loaded.signatures[signature].structured_input_signature[1]
                instances = [_from_json(i) for i in body["instances"]]
                if len(specs) == 1 and not all(isinstance(i, dict) for i in instances):
                    instances = [{next(iter(specs)): i} for i in instances]
                inputs = {k: np.array([i[k] for i in instances],
                                      dtype=object if specs[k].dtype == tf.string else None)
                          for k in specs}
                outputs = model.predict(signature, inputs)
                rows = [{k: _json_value(k, v[i]) for k, v in outputs.items()}
                        for i in range(len(next(iter(outputs.values()))))]
            except Exception as err:  # TF Serving answers 400 with the message
                return self._reply(400, {"error": f"{type(err).__name__}: {err}"})
            self._reply(200, {"predictions": rows})
    return Handler


def start_grpc(model):
    try:
        import grpc
        from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc
    except ImportError:
        return None, None

    class Servicer(prediction_service_pb2_grpc.PredictionServiceServicer):
        def Predict(self, request, context):
            if request.model_spec.name != model.name:
                context.abort(grpc.StatusCode.NOT_FOUND, f"Servable not found: "
                                                         f"{request.model_spec.name}")
            try:
                inputs = {k: tf.make_ndarray(v) for k, v in request.inputs.items()}
                outputs = model.predict(request.model_spec.signature_name, inputs)
            except Exception as err:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"{type(err).__name__}: {err}")
            response = predict_pb2.PredictResponse()
            response.model_spec.CopyFrom(request.model_spec)
            for name, value in outputs.items():
                response.outputs[name].CopyFrom(tf.make_tensor_proto(value))
            return response

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2),
                         options=[("grpc.max_send_message_length", 1 << 30)])
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(Servicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, port


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-name", required=True)
    parser.add_argument("--model-base-path", required=True)
    parser.add_argument("--lifetime", type=float, default=900)
    args = parser.parse_args()
    model = Model(args.model_name, args.model_base_path)
    http = ThreadingHTTPServer(("127.0.0.1", 0), rest_handler(model))
    threading.Thread(target=http.serve_forever, daemon=True).start()
    grpc_server, grpc_port = start_grpc(model)
    print(f"READY rest={http.server_address[1]} grpc={grpc_port or 'none'}", flush=True)
    threading.Event().wait(args.lifetime)
    http.shutdown()
    if grpc_server is not None:
        grpc_server.stop(0)


if __name__ == "__main__":
    main()
