"""Runs of the overlap job, candidate partnerships and partnerships (see DESIGN.md)."""
