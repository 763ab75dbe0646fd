"""Sections that apps above the registry add to its pages, without the registry importing them.

A higher app registers a template for a page in its ``AppConfig.ready()``; the page includes every
registered template, in ``order``, with its own context (``stakeholder``, ``outcome`` or
``partnership``; nothing more on ``home``; ``outcome_side`` is the outcome page's column
beside its power–interest grid),
``request``, ``perms``). The template belongs to the app that registered it and loads that app's
tags, so what it reads (candidates, scores) and who may see it stay that app's business.
"""

from dataclasses import dataclass

PAGES = ("stakeholder_detail", "outcome_detail", "outcome_side", "partnership_detail", "home")


@dataclass(frozen=True)
class Panel:
    template: str
    order: int


_panels: dict[str, list[Panel]] = {page: [] for page in PAGES}


def panel_register(*, page: str, template: str, order: int) -> None:
    """Add ``template`` to ``page`` (one of ``PAGES``); the same one twice is added once."""
    if page not in _panels:
        raise ValueError(f"page must be one of {', '.join(PAGES)}, not {page!r}")
    panel = Panel(template=template, order=order)
    if panel not in _panels[page]:
        _panels[page].append(panel)
        _panels[page].sort(key=lambda registered: (registered.order, registered.template))


def panels_for(page: str) -> list[str]:
    """The templates registered for ``page``, in order."""
    return [panel.template for panel in _panels[page]]
