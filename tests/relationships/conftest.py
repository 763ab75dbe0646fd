import pytest

from index.models import Methodology


@pytest.fixture
def v1(db):
    """Version 1 of the index, published by a migration."""
    return Methodology.objects.get(name="Smart Diplomacy Index", version=1)
