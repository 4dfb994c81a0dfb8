"""A web page and a REST API for one Mask R-CNN model, in one process (``mrcnn-tf serve``).

    from mrcnn_tf.serve import ModelService, ServeSettings, create_app

    service = ModelService(model)            # one worker thread owns the model
    app = create_app(service, ServeSettings(class_names=names, weights="coco.h5"))
    # uvicorn.run(app, host="127.0.0.1", port=8080)

Modules: settings (limits and options), service (the model's worker thread, queue and
batching), images (request bytes -> RGB arrays, with the input checks), records (detect()
results -> the JSON of ``detect --out``), errors (4xx/5xx answers), api (the FastAPI routes),
app (assembly: API + Gradio page + body limit + API key), page / page_results / page_video
(the Gradio page). Needs the ``serve`` extra: ``pip install "mrcnn_tf[serve]"`` (fastapi,
uvicorn, python-multipart, gradio). TensorFlow is not imported here: the model is passed in.
"""
from mrcnn_tf.serve.service import ModelService, ServiceBusy
from mrcnn_tf.serve.settings import ServeSettings

__all__ = ["ModelService", "ServeSettings", "ServiceBusy", "create_app"]


def create_app(service, settings, **kwargs):
    """The FastAPI application (see mrcnn_tf.serve.app.create_app)."""
    from mrcnn_tf.serve.app import create_app as create

    return create(service, settings, **kwargs)
