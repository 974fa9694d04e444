"""`doorman check-camera CAMERA`: from one camera's recent events, what share of faces were
good enough to recognise, the commonest reasons why not (core.face_quality) and what to
change. The report shows the same per camera."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ops.events import EventView

# A face is good enough when it was named, or when it was a clear face that simply matches
# nobody enrolled: what stopped it was who it is, not the camera.
GOOD_CODES = frozenset({"clear"})
NAMED = frozenset({"known", "barred"})
ADVICE = {
    "too-small": "Faces are too small to search: mount the camera lower or closer to where "
    "people stop, zoom in, or use a higher-resolution stream; raise `min_face_px` in the edge "
    "config so that faces too small to recognise are not uploaded at all.",
    "small": "Faces are small (under 50 px): a higher-resolution stream, or a camera mounted "
    "closer, makes them easier to recognise.",
    "turned-away": "People are seen from the side or from too steep an angle: mount the "
    "camera lower (near head height) and facing the way people walk in, not across their path.",
    "too-dark": "Faces are too dark: more light at the door (a porch light on a motion "
    "sensor), or a camera with better low-light or infrared mode.",
    "backlit": "Faces are backlit: the camera looks into bright sky or a window. Turn on its "
    "WDR/HDR setting, or aim it so that the light falls on faces.",
    "blurred": "Faces are blurred: more light (so the camera can use a shorter exposure), "
    "check the focus, and clean the lens.",
    "partly-covered": "Faces are cut off by the picture's edge or covered: widen or re-aim "
    "the view so that whole heads are in the picture.",
}
# Below this share of good faces, the camera check says so plainly.
GOOD_SHARE = 0.8


@dataclass(frozen=True)
class CameraCheck:
    camera: str
    events: int
    faces: int  # faces with a verdict: named, or with a measured reason
    good: int
    reasons: list[tuple[str, int, str]] = field(default_factory=list)  # code, count, example
    advice: list[str] = field(default_factory=list)
    unmeasured: int = 0  # unknown faces from before reasons were recorded

    @property
    def share(self) -> float:
        return self.good / self.faces if self.faces else 0.0

    @property
    def verdict(self) -> str:
        if not self.faces:
            return "no faces seen in this period"
        percent = f"{self.good} of {self.faces} faces ({self.share:.0%}) good enough to recognise"
        return percent if self.share >= GOOD_SHARE else f"{percent}: this camera needs work"


def check_camera(camera: str, events: Iterable[EventView]) -> CameraCheck:
    mine = [e for e in events if e.camera_id == camera]
    good = faces = unmeasured = 0
    codes: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for event in mine:
        for face in event.faces:
            if face.status in NAMED:
                good += 1
                faces += 1
            elif face.why_code:
                faces += 1
                if face.why_code in GOOD_CODES:
                    good += 1
                else:
                    codes[face.why_code] += 1
                    examples.setdefault(face.why_code, face.why_unknown)
            else:
                unmeasured += 1
    ranked = codes.most_common()
    return CameraCheck(
        camera=camera,
        events=len(mine),
        faces=faces,
        good=good,
        reasons=[(code, count, examples[code]) for code, count in ranked],
        advice=[ADVICE[code] for code, _ in ranked if code in ADVICE],
        unmeasured=unmeasured,
    )


def check_cameras(events: Sequence[EventView]) -> list[CameraCheck]:
    """One check per camera that has events, by camera id."""
    return [check_camera(c, events) for c in sorted({e.camera_id for e in events})]


def lines(check: CameraCheck) -> list[str]:
    """The check as plain text lines (user text unescaped: print through cli.common)."""
    out = [f"{check.camera}: {check.events} event(s); {check.verdict}"]
    if check.reasons:
        out.append("commonest reasons why not:")
        out += [f"  {count} x {code}: e.g. {example}" for code, count, example in check.reasons]
    if check.advice:
        out.append("advice:")
        out += [f"  - {advice}" for advice in check.advice]
    if check.unmeasured:
        out.append(f"({check.unmeasured} older unknown face(s) have no recorded reason)")
    return out
