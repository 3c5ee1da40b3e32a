"""Resilience programs: CE courses and modules, enrollment, assignments (the programs issue)."""
