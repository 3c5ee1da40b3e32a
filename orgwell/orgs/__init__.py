"""Organisations, their clinics and teams, staff memberships and consultant grants."""
