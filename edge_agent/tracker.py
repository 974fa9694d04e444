"""Groups face detections over time into person tracks (IoU first, then centroid distance).

Each track predicts where its face is now from its last speed (constant velocity, at most
one second ahead). Detections are matched greedily, best pair first. A pair matches when the
predicted and detected boxes overlap by at least `iou_threshold`, or, failing that, when
their centres are closer than `max_centroid_distance` face widths (fast walkers at low frame
rates do not overlap), or than a walker covers at `max_face_speed` face widths a second in
the time since the track was last seen (up to SPEED_HORIZON_SECONDS of it). The speed
bound keeps someone who sets off from the door on their track when there is no speed to
predict from yet: at 10 fps with every third frame searched, a walker moves more than two
face widths between two searches.
A track ends when it has not been seen for `track_gap_seconds`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from edge_agent.config import FacesConfig
from edge_agent.pipeline import Box, Detection, Track, TrackUpdate

# The speed bound reaches this far back at most: beyond it a face that far away is more
# likely someone else (a newcomer) than the same person unseen.
SPEED_HORIZON_SECONDS = 0.5


class IouCentroidTracker:
    def __init__(self, config: FacesConfig, new_track_id: Callable[[float], str]) -> None:
        self.iou_threshold = config.iou_threshold
        self.max_distance = config.max_centroid_distance
        self.max_speed = config.max_face_speed
        self.gap = config.track_gap_seconds
        self.new_track_id = new_track_id
        self.live: list[Track] = []

    def update(self, detections: list[Detection], t: float) -> TrackUpdate:
        pairs = sorted(
            (
                (cost, i, j)
                for i, track in enumerate(self.live)
                for j, detection in enumerate(detections)
                if (cost := self._cost(track, detection, t)) is not None
            ),
            key=lambda item: item[0],
        )
        used_tracks: set[int] = set()
        used_detections: set[int] = set()
        matched = []
        for _, i, j in pairs:
            if i in used_tracks or j in used_detections:
                continue
            used_tracks.add(i)
            used_detections.add(j)
            track, detection = self.live[i], detections[j]
            if t > track.last_t:
                (ax, ay), (bx, by) = track.box.center, detection.box.center
                dt = t - track.last_t
                track.velocity = ((bx - ax) / dt, (by - ay) / dt)
            track.box, track.last_t, track.hits = detection.box, t, track.hits + 1
            matched.append((track, detection))

        for j, detection in enumerate(detections):
            if j in used_detections:
                continue
            track = Track(
                track_id=self.new_track_id(t),
                first_t=t,
                last_t=t,
                box=detection.box,
                segment_start_t=t,
            )
            self.live.append(track)
            matched.append((track, detection))

        ended = tuple(track for track in self.live if t - track.last_t > self.gap)
        self.live = [track for track in self.live if t - track.last_t <= self.gap]
        return TrackUpdate(matched=tuple(matched), ended=ended)

    def _cost(self, track: Track, detection: Detection, t: float) -> float | None:
        """Lower is better; None when the pair cannot match. A face may keep its speed or
        stop (someone reaching the door), so both the predicted and the last box count."""
        unseen = min(max(0.0, t - track.last_t), SPEED_HORIZON_SECONDS)
        reach = max(self.max_distance, self.max_speed * unseen)
        costs = [
            cost
            for expected in (track.predicted(t), track.box)
            if (cost := self._pair_cost(expected, detection, reach)) is not None
        ]
        return min(costs, default=None)

    def _pair_cost(self, expected: Box, detection: Detection, reach: float) -> float | None:
        iou = expected.iou(detection.box)
        if iou >= self.iou_threshold and iou > 0:
            return 1.0 - iou  # in [0, 1)
        (ax, ay), (bx, by) = expected.center, detection.box.center
        size = max(1, expected.width, detection.box.width)
        distance = math.hypot(ax - bx, ay - by) / size
        if distance <= reach:
            return 1.0 + distance  # always after any IoU match
        return None
