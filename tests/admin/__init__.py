"""Tests of the site admin pages."""
