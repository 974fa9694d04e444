"""Rebuild docs/report-camera-check.png and docs/report-blurred-thumbnail.png: a localcloud
with privacy_blur=bystanders, real photos from ../shared/datasets/compreface-samples, the
report, and headless Chromium. Run: .venv/bin/python docs/report_screenshots.py"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SAMPLES = ROOT.parent / "shared" / "datasets" / "compreface-samples"
WIDTH, HEIGHT = 1280, 3200
# (file, box) of the two shots in the full-page screenshot, at WIDTH.
CROPS = {
    "report-camera-check.png": (80, 352, 1200, 1030),
    "report-blurred-thumbnail.png": (80, 1684, 450, 2125),
}


def jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=92)
    return out.getvalue()


def build_report(out: Path) -> Path:
    from adapters.discovery import resolve
    from core.imaging import crop_region
    from core.resources import FAKE_CREDENTIALS
    from core.schemas import BoundingBox
    from localcloud.cloud import LocalCloud
    from localcloud.provision import LocalConfig
    from ops import events, report
    from tests.support.cloud import CloudKit

    os.environ.update({**FAKE_CREDENTIALS, "POWERTOOLS_LOG_LEVEL": "ERROR"})
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    config = LocalConfig(
        prefix="shots", cameras=("porch", "lawn", "crowd"), privacy_blur="bystanders"
    )
    with LocalCloud(config, data_dir=Path(tempfile.mkdtemp()) / "cloud") as cloud:
        os.environ.update(cloud.env())
        kit = CloudKit(cloud)
        group = Image.open(SAMPLES / "011_3.jpg").convert("RGB")
        found = kit.rekognition.detect_faces(Image={"Bytes": jpeg(group)})["FaceDetails"]
        boxes = sorted(
            (BoundingBox.from_aws(d["BoundingBox"]) for d in found), key=lambda b: b.left
        )
        people = ((boxes[0], "Neighbour Ann", "known"), (boxes[1], "Visitor Bob", "barred"))
        for box, name, watchlist in people:
            r = crop_region(box, group.width, group.height)
            assert r is not None
            crop = jpeg(group.crop((r.left, r.top, r.right, r.bottom)))
            kit.put_photo(f"console/{watchlist}.jpg", crop, {"name": name, "watchlist": watchlist})
        kit.drain()
        for name, camera in (("011_3.jpg", "porch"), ("012_4.jpg", "lawn"),
                             ("016_8.jpg", "crowd"), ("015_6.jpg", "crowd")):  # fmt: skip
            kit.put_frame((SAMPLES / name).read_bytes(), camera=camera)
        kit.drain()
        target = resolve(local_dir=cloud.data_dir, local=True)
        seen = events.list_events(target, None)
        data = report.ReportData(seen, report.sighting_counts(target), target.origin)
        return report.write_report(target, data, out)


def main() -> None:
    work = Path(tempfile.mkdtemp())
    index = build_report(work / "report")
    full = work / "full.png"
    subprocess.run(
        ["chromium", "--no-sandbox", "--headless", "--disable-gpu", "--hide-scrollbars",
         f"--window-size={WIDTH},{HEIGHT}", f"--screenshot={full}", index.as_uri()],
        check=True, capture_output=True,
    )  # fmt: skip
    page = Image.open(full)
    for name, box in CROPS.items():
        page.crop(box).save(ROOT / "docs" / name)
        print(ROOT / "docs" / name)


if __name__ == "__main__":
    main()
