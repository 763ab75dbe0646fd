"""The main navigation, in one place. A section lights up when its URL name exists."""

from django.urls import NoReverseMatch, reverse

SECTIONS = [
    ("Graph", "graph:explorer"),
    ("Map", "map:map"),
    ("Stakeholders", "stakeholders:stakeholder_list"),
    ("Outcomes", "stakeholders:outcome_list"),
    ("Candidates", "partnerships:candidate_list"),
    ("Partnerships", "partnerships:partnership_list"),
    ("Engagements", "index:engagement_list"),
    ("Index", "index:dashboard"),
    ("API", "api-docs"),
]


def _sections():
    for label, url_name in SECTIONS:
        try:
            yield {"label": label, "url": reverse(url_name), "available": True}
        except NoReverseMatch:
            yield {"label": label, "url": None, "available": False}


def navigation(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    current = request.path
    sections = [
        {**section, "active": bool(section["url"]) and current.startswith(section["url"])}
        for section in _sections()
    ]
    return {"nav_sections": sections}
