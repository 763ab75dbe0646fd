"""The left stakes review and provenance in a real browser: a cleared officer moves a hidden
actor's stake left on a merged machine-made outcome; the list's Source column names publishers."""

from stakeholders.choices import Origin, Sensitivity
from stakeholders.models import Stake
from stakeholders.outcome_merging import outcome_merge
from tests.accounts.factories import UserFactory
from tests.browser.conftest import screenshot
from tests.stakeholders.factories import OutcomeFactory, StakeFactory, StakeholderFactory


def test_a_cleared_officer_moves_a_left_stake_and_reads_provenance(page, login, live_server):
    officer = UserFactory(username="officer", roles=["program officer"])
    UserFactory(username="officer.cleared", roles=["program officer"], cleared=True)
    curated = OutcomeFactory(title="Basic health care in Kenya")
    machine = OutcomeFactory(title="Basic health care in Kenya (IATI)", origin=Origin.IATI)
    publisher = StakeholderFactory(name="Danish International Development Agency", acronym="Danida")
    hidden = StakeholderFactory(
        name="Nairobi Survivors Network",
        sensitivity=Sensitivity.RESTRICTED,
        origin=Origin.IATI,
        source_activity="DK-1-12345",
        source_publisher=publisher,
    )
    StakeholderFactory(
        name="Kenya Red Cross", origin=Origin.IATI, source_activity="DK-1-12345",
        source_publisher=publisher,
    )  # fmt: skip
    stake = StakeFactory(stakeholder=hidden, outcome=machine, interest=0.9, influence=0.2)
    outcome_merge(survivor=curated, others=[machine], values={}, user=officer)

    login("officer.cleared")
    page.goto(f"{live_server.url}/outcomes/left-stakes/")
    assert "Nairobi Survivors Network" in page.inner_text("[data-testid=left-stakes-table]")
    screenshot(page, "left-stakes-queue")
    form = page.locator(f"[data-testid=left-stake-{stake.pk}]")
    form.locator("select[name=action]").select_option("move")
    form.get_by_role("button", name="Decide").click()
    page.wait_for_load_state()
    assert "No stakes to review." in page.inner_text("body")
    assert "move" in page.inner_text("body")
    assert Stake.objects.get(pk=stake.pk).outcome_id == curated.pk
    screenshot(page, "left-stakes-decided")

    page.goto(f"{live_server.url}/stakeholders/")
    body = page.inner_text(".registry-table")
    assert "IATI activity DK-1-12345 of publisher Danish International Development Agency" in body
    screenshot(page, "stakeholder-list-source-column")
    # The Publisher facet counts both records the cleared officer may see; filtering by it lists
    # them (the hidden one included, for them).
    facet = page.locator("select[name=publisher] option").all_inner_texts()
    assert facet == ["Danish International Development Agency (Danida) (2)"]
    page.goto(f"{live_server.url}/stakeholders/?publisher={publisher.pk}")
    names = page.locator(".registry-table .name-cell").all_inner_texts()
    assert names == ["Kenya Red Cross", "Nairobi Survivors Network"]
    screenshot(page, "stakeholder-list-publisher-filter")
