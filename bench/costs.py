"""Cost per camera-month for the measured upload counts, priced by `doorman cost`'s table.

The scenario set is dense with activity, so its counts are scaled to one day: a day is the
set's mix of people and distractors, scaled so that motion-only at one frame per second
sends `MOTION_FRAMES_PER_DAY` frames (IntelliCam's author reported 300-400 a day).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from core.cost import PRICES, Usage, estimate

MOTION_FRAMES_PER_DAY = 350
ENROLLED_PEOPLE = 10


def _usage(uploads_per_day: float, faces_per_upload: float, label_share: float) -> Usage:
    return Usage(
        cameras=1,
        events_per_day=uploads_per_day,
        faces_per_event=faces_per_upload,
        enrolled=ENROLLED_PEOPLE,
        label_share=min(max(label_share, 0.0), 1.0),
    )


def camera_month(uploads: dict[str, Any]) -> dict[str, Any]:
    """Monthly cost of one camera for each pipeline's measured uploads, plus 24/7 streaming.

    `uploads` is the uploads section: totals per pipeline with `uploads`, and for Doorman
    `face_uploads`/`motion_uploads`; `naive` uploads are the motion frames with a face.
    """
    totals = uploads["totals"]
    per_second = totals["motion-only (1/s)"]["uploads"]
    every = totals["motion-only (every frame)"]["uploads"]
    if not per_second:
        raise ValueError("motion-only uploaded nothing; cannot scale the scenario set to a day")
    day = MOTION_FRAMES_PER_DAY / per_second
    doorman = totals["doorman"]
    doorman_uploads = doorman["uploads"]
    # Frames analyze would search: Doorman sends face frames and a few motion snapshots
    # (DetectLabels); motion-only sends everything, and the share with a face is what the
    # Haar cascade found among motion frames.
    face_share_motion = totals["naive"]["uploads"] / every if every else 0.0
    rows = {
        "doorman": _usage(
            doorman_uploads * day,
            doorman.get("faces_per_upload", 1.0),
            doorman.get("motion_uploads", 0) / doorman_uploads if doorman_uploads else 0.0,
        ),
        "naive": _usage(totals["naive"]["uploads"] * day, 1.0, 0.0),
        "motion-only (1/s)": _usage(per_second * day, face_share_motion, 1.0),
        "motion-only (every frame)": _usage(every * day, face_share_motion, 1.0),
    }
    streaming = replace(rows["doorman"], events_per_day=0, streaming_minutes=24 * 60)
    out_rows = []
    for name, usage in [*rows.items(), ("24/7 streaming", streaming)]:
        cost = estimate(usage, PRICES)
        services = cost.by_service()
        out_rows.append(
            {
                "pipeline": name,
                "uploads_per_day": round(usage.events_per_day, 1),
                "usd_per_month": round(cost.total, 2),
                "rekognition_usd": round(services.get("Rekognition", 0.0), 2),
                "by_service": {k: round(v, 4) for k, v in services.items()},
            }
        )
    return {
        "prices_as_of": PRICES.as_of.isoformat(),
        "region": PRICES.region,
        "day_scale": day,
        "assumption": (
            f"one camera; the scenario set scaled so that motion-only at 1 frame/s sends "
            f"{MOTION_FRAMES_PER_DAY} frames a day; {ENROLLED_PEOPLE} people enrolled; "
            "other usage assumptions are `doorman cost` defaults"
        ),
        "rows": out_rows,
    }
