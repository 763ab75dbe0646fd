"""The demo comes with coalitions: every demo outcome has them for both audiences once
``seed_demo`` has run, and loading it again recomputes nothing."""

import io

import pytest
from django.core.management import call_command

from partnerships.models import Coalition, CoalitionComputation
from stakeholders.choices import Sensitivity
from stakeholders.models import Outcome


@pytest.mark.django_db(transaction=True)
def test_the_demo_outcomes_have_coalitions():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    outcomes = Outcome.objects.count()
    assert outcomes == 20
    assert f"for {outcomes} outcomes" in out.getvalue()
    for audience in ("public", "cleared"):
        assert CoalitionComputation.objects.filter(audience=audience, error="").count() == outcomes
        assert Coalition.objects.filter(audience=audience, rank=1).count() == outcomes
    assert not Coalition.objects.filter(
        audience="public", members__stakeholder__sensitivity__in=[
            Sensitivity.RESTRICTED, Sensitivity.CONFIDENTIAL,
        ],
    ).exists()  # fmt: skip
    assert Coalition.objects.filter(
        audience="cleared", members__stakeholder__sensitivity=Sensitivity.RESTRICTED
    ).exists()  # the demo's restricted actors do take part, for those cleared
    computed = dict(CoalitionComputation.objects.values_list("pk", "computed_at"))

    call_command("seed_demo", stdout=io.StringIO())  # already loaded: nothing recomputed
    assert dict(CoalitionComputation.objects.values_list("pk", "computed_at")) == computed

    CoalitionComputation.objects.all().delete()  # a database from before coalitions
    call_command("seed_demo", stdout=io.StringIO())
    assert Coalition.objects.filter(audience="public", rank=1).count() == outcomes
