"""Every pipeline's figure is the median of its repeats, never the best one."""

from __future__ import annotations

from bench.throughput import _median


def test_the_median_run_is_reported_with_every_try() -> None:
    tries = [{"fps": 31.5, "run": 1}, {"fps": 7.3, "run": 2}, {"fps": 9.3, "run": 3}]
    median = _median(tries)
    assert median["fps"] == 9.3 and median["run"] == 3
    assert median["fps_tries"] == [31.5, 7.3, 9.3] and median["repeats"] == 3


def test_an_even_number_of_tries_reports_the_lower_middle() -> None:
    tries = [{"fps": f} for f in (40.0, 10.0, 30.0, 20.0)]
    assert _median(tries)["fps"] == 20.0
