"""Operator-side logic behind the `doorman` CLI: resource discovery, people, events, report, cost."""
