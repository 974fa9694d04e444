"""Helpers shared by the test suites (images, servers)."""
