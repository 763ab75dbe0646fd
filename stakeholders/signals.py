"""Signals the registry sends for changes that bypass model saves (bulk imports)."""

from django.dispatch import Signal

# Sent after the transaction of a bulk write commits: kind is "stakeholders", "outcomes", "stakes"
# or "ties"; count is how many rows were created or updated. Listeners (the overlap engine)
# decide what to recompute; the registry does not need to know them.
registry_bulk_changed = Signal()
