"""The web page at ``/`` (Gradio, mounted on the FastAPI app).

Image tab: upload or paste an image (or pick an example from samples/images); the model runs
once (through the ModelService queue) and its raw result is kept in gr.State. The score
slider and the class filter re-filter that result without re-running the model and update
the annotated image (gr.AnnotatedImage: hovering a label highlights its mask), the count,
the table and the downloads (JSON as ``detect --out`` writes it, annotated PNG, cut-outs as
a zip). Video tab: a short clip through process_video, with a progress bar.
"""
from __future__ import annotations

import hmac
import logging
import os
import tempfile
from pathlib import Path

from mrcnn_tf.serve import page_results as shown
from mrcnn_tf.serve.service import ServiceBusy

LOG = logging.getLogger("mrcnn_tf.serve")
SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "images"
EXAMPLE_SUFFIXES = (".jpg", ".jpeg", ".png")
CACHE_SECONDS = 3600  # Gradio's copies of uploads and answers are removed after this


def example_images() -> list:
    """The sample photos shipped beside the package (source checkouts), or []."""
    if not SAMPLES.is_dir():
        return []
    return sorted(str(p) for p in SAMPLES.iterdir() if p.suffix.lower() in EXAMPLE_SUFFIXES)


def build_page(service, settings, downloads):
    """The gr.Blocks of the page; downloads: folder for the files offered for download."""
    import gradio as gr

    names = list(settings.class_names)
    default_score = round(float(service.config.DETECTION_MIN_CONFIDENCE), 2)

    def run_model(image):
        if image is None:
            raise gr.Error("no image: upload or paste one first")
        height, width = image.shape[:2]
        if height * width > settings.max_pixels:
            raise gr.Error(f"the image is {width}x{height}: more than the server's limit of "
                           f"{settings.max_pixels / 1e6:g} megapixels (--max-pixels)")
        try:
            result = service.detect([image], timeout=settings.timeout)[0]
        except ServiceBusy as err:
            raise gr.Error(str(err)) from None
        except ValueError as err:
            raise gr.Error(str(err).replace("image[0]: ", "")) from None
        raw = {"image": image, "result": result, "name": "image.png"}
        return raw, gr.update(choices=shown.class_choices(raw, names), value=[])

    def show(raw, min_score, classes):
        if raw is None:
            return None, "", None, None
        result = shown.filtered(raw, names, min_score, classes or [])
        value, colors = shown.annotations(raw["image"], result, names)
        files = shown.write_downloads(raw, result, names, shown.new_folder(downloads))
        return (gr.update(value=value, color_map=colors),
                shown.count_text(result, raw, min_score),
                shown.table_rows(result, names), files)

    def run_video(path, min_score, classes, progress=gr.Progress(track_tqdm=True)):
        from mrcnn_tf.serve.page_video import browser_notice, process_clip

        if not path:
            raise gr.Error("no video: upload a clip first")
        try:
            video, jsonl, lines = process_clip(
                service, path, shown.new_folder(downloads), class_names=names,
                min_score=min_score, classes=classes or [],
                max_seconds=settings.max_video_seconds, max_pixels=settings.max_pixels)
        except ValueError as err:
            raise gr.Error(str(err)) from None
        notice = browser_notice()
        return video, [video, jsonl], "\n\n".join(lines + ([notice] if notice else []))

    with gr.Blocks(title="mrcnn_tf: Mask R-CNN", analytics_enabled=False,
                   delete_cache=(CACHE_SECONDS, CACHE_SECONDS)) as page:
        gr.Markdown("## Mask R-CNN instance segmentation\nUpload or paste an image; hover a "
                    "label to highlight its object. The REST API is documented at "
                    "[/docs](/docs).")
        raw = gr.State(None)
        with gr.Row():
            score = gr.Slider(0.0, 1.0, value=default_score, step=0.01, label="Minimum score",
                              elem_id="score-slider")
            classes = gr.Dropdown(choices=[], value=[], multiselect=True,
                                  label="Classes (none selected: all)", elem_id="class-filter")
        with gr.Tab("Image"):
            with gr.Row():
                with gr.Column():
                    image = gr.Image(type="numpy", sources=["upload", "clipboard"],
                                     label="Image", elem_id="input-image")
                    button = gr.Button("Detect", variant="primary", elem_id="detect-button")
                    if example_images():
                        gr.Examples(example_images(), inputs=image)
                with gr.Column():
                    annotated = gr.AnnotatedImage(label="Detections", elem_id="annotated")
                    count = gr.Markdown(elem_id="detection-count")
            table = gr.Dataframe(headers=shown.TABLE_HEADERS, interactive=False,
                                 label="Detections", elem_id="detections-table")
            files = gr.File(label="Downloads: JSON, annotated PNG, cut-outs (zip)",
                            file_count="multiple", elem_id="downloads")
        with gr.Tab("Video"):
            gr.Markdown(f"A short clip (the first {settings.max_video_seconds:g} s are "
                        "processed); the result is an H.264 .mp4 and JSON lines.")
            with gr.Row():
                clip = gr.Video(sources=["upload"], label="Clip", elem_id="input-video")
                clip_out = gr.Video(label="Annotated", elem_id="output-video")
            clip_button = gr.Button("Process video", variant="primary", elem_id="video-button")
            clip_summary = gr.Markdown(elem_id="video-summary")
            clip_files = gr.File(label="Downloads: video, JSON lines", file_count="multiple")

        outputs = [annotated, count, table, files]
        for trigger in (button.click, image.upload):
            trigger(run_model, [image], [raw, classes]).then(show, [raw, score, classes],
                                                             outputs)
        score.change(show, [raw, score, classes], outputs)
        classes.change(show, [raw, score, classes], outputs)
        clip_button.click(run_video, [clip, score, classes], [clip_out, clip_files,
                                                              clip_summary])
    return page


def mount_page(app, service, settings):
    """Mount the page at / on the FastAPI app (no share link, no analytics, no server-side
    rendering process); with an API key the page asks for it as the password."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    import gradio as gr

    downloads = Path(tempfile.mkdtemp(prefix="mrcnn_tf_serve_"))
    page = build_page(service, settings, downloads)
    auth = None
    if settings.api_key is not None:
        key = settings.api_key.encode()

        def auth(user, password):
            return hmac.compare_digest(str(password).encode(), key)
    return gr.mount_gradio_app(app, page, path="/", auth=auth,
                               auth_message="Password: the server's API key" if auth else None,
                               allowed_paths=[str(SAMPLES)] if SAMPLES.is_dir() else None,
                               max_file_size=settings.max_body_bytes, ssr_mode=False,
                               mcp_server=False, footer_links=["api"])
