"""Confidential aggregates and Plotly dashboards (the metrics issue)."""
