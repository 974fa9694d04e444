"""Recall and false-upload counting of bench.uploads against a hand-made ground truth."""

from __future__ import annotations

from bench.uploads import (
    PipelineTally,
    SeenUpload,
    check_candidates,
    face_frames,
    is_covered,
    recall,
    truth_tracks,
    without_person,
)

TRUTH = {
    "scenario": "two_people",
    "people": [
        {
            "identity": "ann",
            "start_frame": 10,
            "end_frame": 40,
            "face_boxes": [[f, 0, 0, 9, 9] for f in range(15, 36)],
        },
        {
            "identity": "bob",
            "start_frame": 30,
            "end_frame": 60,
            "face_boxes": [[f, 0, 0, 9, 9] for f in range(32, 50)],
        },
        {  # seen only from behind: no face, so no frame can show it
            "identity": "cy",
            "start_frame": 70,
            "end_frame": 80,
            "face_boxes": [],
        },
    ],
}
ANN, BOB, CY = truth_tracks(TRUTH)


def test_truth_tracks_keep_identity_span_and_face_frames() -> None:
    assert (ANN.identity, ANN.start_frame, ANN.end_frame) == ("ann", 10, 40)
    assert min(BOB.face_frames) == 32 and max(BOB.face_frames) == 49
    assert CY.face_frames == frozenset()
    assert face_frames(TRUTH) == set(range(15, 50))


def test_a_track_is_covered_only_by_its_person_inside_its_span() -> None:
    assert is_covered(ANN, [SeenUpload(20, frozenset({"ann"}))])
    assert not is_covered(ANN, [SeenUpload(20, frozenset({"bob"}))])  # wrong person
    assert not is_covered(ANN, [SeenUpload(50, frozenset({"ann"}))])  # after the track
    assert not is_covered(ANN, [SeenUpload(20, frozenset())])  # no face found


def test_recall_counts_only_tracks_with_a_visible_face() -> None:
    uploads = [SeenUpload(33, frozenset({"ann", "bob"}))]
    assert recall([ANN, BOB, CY], uploads) == (2, 2)
    assert recall([ANN, BOB, CY], [SeenUpload(45, frozenset({"bob"}))]) == (1, 2)
    assert recall([ANN, BOB, CY], []) == (0, 2)


def test_check_candidates_are_face_frames_nearest_the_middle_first() -> None:
    uploads = [5, 12, 15, 24, 25, 26, 35, 39]
    # Ann's face shows in 15..35 (middle 25); 5, 12 and 39 show no face of hers.
    assert check_candidates(ANN, uploads, limit=3) == [25, 24, 26]
    assert check_candidates(ANN, [5, 12], limit=3) == []
    assert check_candidates(CY, uploads, limit=3) == []


def test_uploads_without_a_person_are_frames_with_no_visible_face() -> None:
    assert without_person([0, 14, 15, 49, 50, 75], face_frames(TRUTH)) == 4


def test_tallies_add_up_and_keep_none_for_pipelines_that_claim_no_faces() -> None:
    total = PipelineTally(false_face_uploads=None)
    total.add(PipelineTally(uploads=3, tracks=2, covered_tracks=1, missed_tracks=["x"]))
    total.add(PipelineTally(uploads=2, tracks=1, covered_tracks=1))
    summary = total.as_dict()
    assert summary["uploads"] == 5
    assert summary["recall"] == 2 / 3
    assert summary["false_face_uploads"] is None
    assert summary["missed_tracks"] == ["x"]


def test_report_delay_runs_from_the_face_in_view_to_the_upload_going_out() -> None:
    from bench.report import _report_delay_lines
    from bench.uploads import _report_delays

    tracks = truth_tracks(TRUTH)
    # ann's face is in view from 15; an upload at frame 20 (showing ann) goes out at 35.
    early = _report_delays(tracks, SeenUpload(20, frozenset({"ann"})), 35, 10.0)
    assert early == [
        {"track": "two_people:ann@10", "seconds": 2.0, "visit_seconds": 3.1, "before_leaving": True}
    ]
    # bob (face from 32, gone after 60) reported only at 66: after he left.
    late = _report_delays(tracks, SeenUpload(45, frozenset({"bob"})), 66, 10.0)
    assert [d["before_leaving"] for d in late] == [False] and late[0]["seconds"] == 3.4
    assert _report_delays(tracks, SeenUpload(45, frozenset({"carol"})), 66, 10.0) == []
    shown_again = _report_delays(tracks, SeenUpload(38, frozenset({"ann"})), 55, 10.0)
    [line, _] = _report_delay_lines(early + late + shown_again)  # ann counts once: at 2.0 s
    assert "2.7 s (median; at most 3.4 s)" in line and "1 of 2 while they were still there" in line
