"""Tests of worker/: schedule and lifecycle hooks."""
