"""Operational drills: scripts that exercise the running service under faults."""
