"""Operator logic behind the `doorman` CLI: discovery, people, events, report, cost."""
