"""The interim demo (`python -m localcloud.face_demo`) recognises Grace Hopper and no one else."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from localcloud import face_demo

pytestmark = pytest.mark.integration


def test_face_demo_recognises_grace_and_rejects_strangers():
    out = io.StringIO()
    assert face_demo.run(Console(file=out, width=140)) is True
    text = out.getvalue()
    assert "known: Grace Hopper" in text
    assert text.count("stranger") == 3
    assert "As expected." in text
