"""Suggested duplicates: pairs of stakeholders that are probably one actor, with why.

Reads, for a person, among the stakeholders that person may see (a pair where one is hidden does
not exist for them, nor counts). Never merges: a person reviews each pair, merges it (the merge
page) or dismisses it ("not a duplicate", remembered).

The evidence, each with its confidence (combined as independent: 1 − Π(1 − c)):

* the same identifier in another system (an IATI organisation ref): 0.97;
* the same name once accents, case, punctuation and legal forms are set aside: 0.9;
* names similar (``pg_trgm``'s trigram similarity of the normalised names, compared within
  blocks of names sharing a rare word: :func:`names.similar_name_pairs`): 0.9 × the similarity;
* the same website domain: 0.6.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Count, Q

from smartdiplomacy.exceptions import ApplicationError

from .models import DuplicateDismissal, ExternalIdentifier, Stakeholder
from .names import name_normalise, name_similarity, similar_name_pairs, website_domain
from .selectors import stakeholder_visible_to

# Trigram similarity of names from which a pair is suggested: below it, names that share all
# but one word ("… Foundation Kenya" and "… Foundation Yemen", country offices) would flood the
# queue; the same name once normalised is always suggested.
NAME_THRESHOLD = 0.75
# Similar names in two different countries are usually two actors (templated names, country
# offices, which ``parent`` links): suggested only when nearly the same.
DIFFERENT_COUNTRIES_THRESHOLD = 0.9
# Hosts where many unrelated organisations have a page: the same one says nothing.
SHARED_HOSTS = frozenset(
    {
        "facebook.com", "linkedin.com", "twitter.com", "x.com", "instagram.com", "youtube.com",
        "google.com", "sites.google.com", "wordpress.com", "blogspot.com", "wixsite.com",
        "github.io", "medium.com", "iatiregistry.org", "d-portal.org",
    }
)  # fmt: skip


@dataclass
class Suggestion:
    a: Stakeholder
    b: Stakeholder
    reasons: list[str] = field(default_factory=list)
    confidence: float = 0.0

    @property
    def pair(self) -> str:
        return f"{self.a.pk}-{self.b.pk}"


def _candidates(user):
    return stakeholder_visible_to(user).filter(archived_at__isnull=True)


def _name_pairs(user, *, threshold: float) -> dict[tuple[int, int], float]:
    """Pairs of similar names among those ``user`` may see, by the blocked trigram comparison of
    :func:`names.similar_name_pairs` (``pg_trgm``'s measure, computed in Python). On PostgreSQL
    too: a self-join through the trigram index probes the index once per name and merges the
    posting lists of common words ("relief", "foundation") every time — more than 8 minutes at
    100,000 names against seconds here (README, performance). The index serves
    :func:`stakeholder_matches`, one name against the registry."""
    names = dict(_candidates(user).values_list("pk", "normalised_name"))
    return {(a, b): score for a, b, score in similar_name_pairs(names, threshold=threshold)}


def _identifier_pairs(user) -> dict[tuple[int, int], list[str]]:
    visible = _candidates(user).values("pk")
    rows = ExternalIdentifier.objects.filter(stakeholder__in=visible)
    shared = (
        rows.order_by()
        .values("scheme", "value")
        .annotate(n=Count("stakeholder", distinct=True))
        .filter(n__gt=1)
    )
    labels = dict(ExternalIdentifier.Scheme.choices)
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for scheme, value, pk in rows.filter(
        scheme__in={s["scheme"] for s in shared}, value__in={s["value"] for s in shared}
    ).values_list("scheme", "value", "stakeholder_id"):
        groups[(scheme, value)].append(pk)
    pairs: dict[tuple[int, int], list[str]] = defaultdict(list)
    for (scheme, value), pks in groups.items():
        pks = sorted(set(pks))
        for i, a in enumerate(pks):
            for b in pks[i + 1 :]:
                pairs[(a, b)].append(f"same {labels.get(scheme, scheme)} “{value}”")
    return pairs


def _website_pairs(user) -> dict[tuple[int, int], str]:
    by_domain: dict[str, list[int]] = defaultdict(list)
    for pk, url in _candidates(user).exclude(website="").values_list("pk", "website"):
        domain = website_domain(url)
        if domain and domain not in SHARED_HOSTS:
            by_domain[domain].append(pk)
    pairs = {}
    for domain, pks in by_domain.items():
        if 1 < len(pks) <= 20:  # a domain shared by dozens is a host, not an organisation
            pks.sort()
            for i, a in enumerate(pks):
                for b in pks[i + 1 :]:
                    pairs[(a, b)] = f"same website domain {domain}"
    return pairs


def _countries(ids: set[int]) -> dict[int, str]:
    countries = {}
    for start in range(0, len(ids), 5000):  # SQLite's limit on parameters
        chunk = sorted(ids)[start : start + 5000]
        countries.update(Stakeholder.all_objects.filter(pk__in=chunk).values_list("pk", "country"))
    return countries


def _dismissed(user, pairs) -> set[tuple[int, int]]:
    ids = {pk for pair in pairs for pk in pair}
    return set(
        DuplicateDismissal.objects.filter(stakeholder_a__in=ids, stakeholder_b__in=ids).values_list(
            "stakeholder_a_id", "stakeholder_b_id"
        )
    )


def duplicate_pairs(
    *, user, threshold: float = NAME_THRESHOLD
) -> list[tuple[int, int, float, list]]:
    """Every suggested pair ``(a, b, confidence, reasons)`` ``user`` may see, a < b, surest
    first, dismissed pairs left out. Ids only: :func:`duplicate_suggestions` loads the records."""
    evidence: dict[tuple[int, int], list[tuple[float, str]]] = defaultdict(list)
    names = _name_pairs(user, threshold=threshold)
    countries = _countries({pk for pair in names for pk in pair})
    for pair, score in names.items():
        a, b = (countries.get(pk, "") for pk in pair)
        if a and b and a != b and score < DIFFERENT_COUNTRIES_THRESHOLD:
            continue  # "Homs Relief and Development Organisation" is not "Juba …"
        if score >= 0.999:
            evidence[pair].append(
                (0.9, "same name once case, accents, punctuation and legal form are set aside")
            )  # noqa: E501
        else:
            evidence[pair].append((0.9 * score, f"names {score:.2f} similar"))
    for pair, reasons in _identifier_pairs(user).items():
        evidence[pair].extend((0.97, reason) for reason in reasons)
    for pair, reason in _website_pairs(user).items():
        evidence[pair].append((0.6, reason))
    dismissed = _dismissed(user, evidence)
    result = []
    for pair, items in evidence.items():
        if pair in dismissed:
            continue
        doubt = 1.0
        for confidence, _ in items:
            doubt *= 1 - confidence
        result.append((pair[0], pair[1], round(1 - doubt, 3), [r for _, r in items]))
    result.sort(key=lambda row: (-row[2], row[0], row[1]))
    return result


def duplicate_suggestions(
    *, user, limit: int = 50, offset: int = 0
) -> tuple[list[Suggestion], int]:
    """The suggested pairs (a page of them) with their records, and how many there are."""
    pairs = duplicate_pairs(user=user)
    page = pairs[offset : offset + limit]
    records = _candidates(user).in_bulk({pk for a, b, _, _ in page for pk in (a, b)})
    suggestions = [
        Suggestion(a=records[a], b=records[b], confidence=confidence, reasons=reasons)
        for a, b, confidence, reasons in page
        if a in records and b in records
    ]
    return suggestions, len(pairs)


def stakeholder_matches(*, user, name: str, limit: int = 5) -> list[tuple[Stakeholder, float]]:
    """Stakeholders ``user`` may see whose name is like ``name``, most similar first: how an
    importer matches an organisation to the registry before creating it."""
    normalised = name_normalise(name)
    if not normalised:
        return []
    visible = _candidates(user)
    if connection.vendor == "postgresql":
        from django.contrib.postgres.lookups import TrigramSimilar
        from django.contrib.postgres.search import TrigramSimilarity

        # This field only: the trigram lookup (index-served) without the postgres app installed.
        Stakeholder._meta.get_field("normalised_name").register_lookup(TrigramSimilar)
        rows = (
            visible.annotate(similarity=TrigramSimilarity("normalised_name", normalised))
            .filter(normalised_name__trigram_similar=normalised, similarity__gte=NAME_THRESHOLD)
            .order_by("-similarity", "pk")[:limit]
        )
        return [(row, row.similarity) for row in rows]
    words = [w for w in normalised.split() if len(w) >= 3] or [normalised]
    query = Q()
    for word in words:
        query |= Q(normalised_name__contains=word)
    scored = [
        (row, name_similarity(normalised, row.normalised_name)) for row in visible.filter(query)
    ]
    scored = [(row, score) for row, score in scored if score >= NAME_THRESHOLD]
    scored.sort(key=lambda item: (-item[1], item[0].pk))
    return scored[:limit]


@transaction.atomic
def duplicate_dismiss(*, a: Stakeholder, b: Stakeholder, user) -> DuplicateDismissal:
    """Remember that ``a`` and ``b`` are not one actor: the pair is not suggested again. Both
    must be visible to ``user`` (a hidden one answers as a missing one)."""
    if a.pk == b.pk:
        raise ApplicationError("Choose two different stakeholders.", "b")
    visible = set(_candidates(user).filter(pk__in=[a.pk, b.pk]).values_list("pk", flat=True))
    for record, name in ((a, "a"), (b, "b")):
        if record.pk not in visible:
            raise ApplicationError("No such stakeholder.", name)
    low, high = sorted([a.pk, b.pk])
    dismissal, _ = DuplicateDismissal.objects.update_or_create(
        stakeholder_a_id=low, stakeholder_b_id=high, defaults={"dismissed_by": user}
    )
    return dismissal
