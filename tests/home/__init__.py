"""Tests of the home pages and public sign-up."""
