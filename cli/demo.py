"""`doorman demo`: the whole pipeline on this machine (same as `make demo`)."""

from __future__ import annotations

from localcloud.demo import demo

commands = [demo]
