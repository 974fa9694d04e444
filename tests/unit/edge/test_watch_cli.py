"""Small pieces of `doorman watch`: camera credentials come from the environment only."""

from __future__ import annotations

from edge_agent.assembly import with_camera_credentials


def test_camera_credentials_are_added_from_the_environment() -> None:
    env = {"DOORMAN_CAMERA_USER": "admin", "DOORMAN_CAMERA_PASSWORD": "p@ss:word/1"}
    url = with_camera_credentials("rtsp://10.0.0.5:554/stream1", env)
    assert url == "rtsp://admin:p%40ss%3Aword%2F1@10.0.0.5:554/stream1"


def test_urls_with_their_own_credentials_files_and_usb_are_left_alone() -> None:
    env = {"DOORMAN_CAMERA_USER": "admin", "DOORMAN_CAMERA_PASSWORD": "x"}
    assert with_camera_credentials("rtsp://u:p@cam/s", env) == "rtsp://u:p@cam/s"
    assert with_camera_credentials("/videos/porch.mp4", env) == "/videos/porch.mp4"
    assert with_camera_credentials("0", env) == "0"
    assert with_camera_credentials("rtsp://cam/s", {}) == "rtsp://cam/s"
