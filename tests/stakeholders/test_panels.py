"""The registry's pages show what higher apps add through panels, and load none of their tags."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from stakeholders.panels import panel_register, panels_for

TEMPLATES = Path(settings.BASE_DIR) / "stakeholders" / "templates"
OWN_LIBRARIES = {
    p.stem for p in (Path(settings.BASE_DIR) / "stakeholders/templatetags").glob("*.py")
}
DJANGO_LIBRARIES = {"static", "humanize", "i18n", "l10n", "tz", "cache"}


def test_registry_templates_load_only_the_registrys_and_djangos_tags():
    loaded = {}
    for path in TEMPLATES.rglob("*.html"):
        for match in re.finditer(r"{%\s*load\s+([^%]+?)\s*%}", path.read_text()):
            for library in match.group(1).split():
                loaded.setdefault(library, []).append(str(path.relative_to(TEMPLATES)))
    foreign = {
        lib: where for lib, where in loaded.items() if lib not in OWN_LIBRARIES | DJANGO_LIBRARIES
    }
    assert foreign == {}
    assert "registry_tags" in loaded  # the check reads the templates at all


def test_the_apps_above_fill_the_registry_pages_in_order():
    assert panels_for("stakeholder_detail") == [
        "relationships/includes/stakeholder_panel.html",
        "relationships/includes/stakeholder_salience_panel.html",
        "partnerships/includes/stakeholder_panel.html",
        "index/includes/stakeholder_panel.html",
    ]
    assert panels_for("outcome_detail") == [
        "relationships/includes/outcome_over_time_panel.html",
        "relationships/includes/outcome_panel.html",
        "partnerships/includes/outcome_panel.html",
    ]
    assert panels_for("partnership_detail") == ["relationships/includes/partnership_panel.html"]
    assert panels_for("home") == ["relationships/includes/home_panel.html"]
    assert panels_for("outcome_side") == ["relationships/includes/outcome_side_panel.html"]


def test_registering_a_panel_twice_adds_it_once_and_an_unknown_page_is_refused():
    panel_register(
        page="outcome_detail", template="partnerships/includes/outcome_panel.html", order=10
    )
    assert panels_for("outcome_detail") == [
        "relationships/includes/outcome_over_time_panel.html",
        "relationships/includes/outcome_panel.html",
        "partnerships/includes/outcome_panel.html",
    ]
    with pytest.raises(
        ValueError, match="page must be one of stakeholder_detail, outcome_detail, outcome_side"
    ):
        panel_register(page="tie_detail", template="x.html", order=1)
