"""Write the sample photos in samples/images/ from scikit-image's data set.

    python3 scripts/make_sample_images.py [--out samples/images]

astronaut, coffee, cat (skimage's "chelsea"), rocket, motorcycle (the left view of
"stereo_motorcycle"): everyday COCO classes (person, cup, cat, ...). Written as JPEG
(quality 90, OpenCV) to keep the repository small; the images keep their original sizes
(at most 741 pixels wide).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import skimage.data

JPEG_QUALITY = 90
# output name -> function of skimage.data returning an RGB uint8 image
SOURCES = {
    "astronaut": lambda: skimage.data.astronaut(),
    "coffee": lambda: skimage.data.coffee(),
    "cat": lambda: skimage.data.chelsea(),
    "rocket": lambda: skimage.data.rocket(),
    "motorcycle": lambda: skimage.data.stereo_motorcycle()[0],
}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=Path(__file__).resolve().parents[1] / "samples" / "images",
                        type=Path, help="output folder (default samples/images)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, load in SOURCES.items():
        image = load()[:, :, :3]
        path = args.out / f"{name}.jpg"
        cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR),
                    [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        print(f"{path}  {image.shape[1]}x{image.shape[0]}  {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
