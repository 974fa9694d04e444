"""Tracker: IoU then centroid matching, gap ends tracks, ids are stable."""

from __future__ import annotations

from edge_agent.config import FacesConfig
from edge_agent.pipeline import Box, Detection, TrackIds
from edge_agent.tracker import IouCentroidTracker


def det(x: int, y: int = 100, size: int = 100) -> Detection:
    return Detection(Box(x, y, x + size, y + size), score=1.0)


def tracker(**kwargs) -> IouCentroidTracker:
    return IouCentroidTracker(FacesConfig(**kwargs), TrackIds("cam"))


def test_overlapping_detections_continue_one_track() -> None:
    t = tracker()
    first = t.update([det(100)], 0.0)
    assert len(first.started) == 1
    for step in range(1, 10):
        update = t.update([det(100 + 20 * step)], step * 0.1)
        assert not update.started and not update.ended
    assert len(t.live) == 1 and t.live[0].hits == 10


def test_fast_walker_without_overlap_matches_by_centroid() -> None:
    t = tracker()
    t.update([det(100)], 0.0)
    update = t.update([det(230)], 0.2)  # no overlap, 1.3 face widths away
    assert not update.started and len(t.live) == 1
    far = t.update([det(700)], 0.4)
    assert len(far.started) == 1 and len(t.live) == 2


def test_a_person_who_breaks_into_a_run_keeps_one_track() -> None:
    # Still at the door, then 1.7 face widths per detector run (a runner at 10 fps, k=2):
    # no speed to predict from yet, and each new track would start at rest again.
    t = tracker()
    for step in range(5):
        t.update([det(900)], step * 0.2)
    for step in range(1, 5):
        update = t.update([det(900 - 170 * step)], 0.8 + step * 0.2)
        assert not update.started
    assert len(t.live) == 1


def test_two_people_keep_their_own_tracks() -> None:
    t = tracker()
    t.update([det(100), det(800)], 0.0)
    ids = [track.track_id for track in t.live]
    update = t.update([det(820), det(110)], 0.1)
    assert {track.track_id for track, _ in update.matched} == set(ids)
    by_id = {track.track_id: d.box.left for track, d in update.matched}
    assert by_id[ids[0]] == 110 and by_id[ids[1]] == 820


def test_track_ends_after_the_gap() -> None:
    t = tracker(track_gap_seconds=1.0)
    t.update([det(100)], 0.0)
    assert not t.update([], 0.9).ended
    ended = t.update([], 1.1).ended
    assert len(ended) == 1 and not t.live


def test_ids_are_camera_start_ms_and_counter() -> None:
    t = tracker()
    t.update([det(100)], 1700000000.25)
    assert t.live[0].track_id == "cam-1700000000250-1"


def test_someone_setting_off_from_the_door_keeps_their_track_at_every_third_frame() -> None:
    # At rest, then a walk at 7 face widths a second, searched every 0.3 s (10 fps, k=3):
    # 2.1 face widths between searches, beyond the 2-face-width centroid bound.
    t = tracker()
    for step in range(4):
        t.update([det(400)], step * 0.3)
    for step in range(1, 4):
        update = t.update([det(400 + 210 * step)], 0.9 + step * 0.3)
        assert not update.started, step
    assert len(t.live) == 1


def test_the_speed_bound_reaches_back_half_a_second_at_most() -> None:
    # A face 5.5 face widths away 1.2 s after a track was last seen is someone else:
    # at 10 face widths a second, only the last 0.5 s count (5 face widths).
    t = tracker()
    t.update([det(100)], 0.0)
    update = t.update([det(650)], 1.2)
    assert len(update.started) == 1 and len(t.live) == 2
    t = tracker(max_face_speed=2.0)  # a slow bound leaves the plain centroid bound
    t.update([det(100)], 0.0)
    assert len(t.update([det(310)], 0.3).started) == 1
