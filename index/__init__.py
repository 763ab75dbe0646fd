"""Engagements, methodology versions and Smart Diplomacy Index scores (see DESIGN.md)."""
