"""Names compared as people read them: pure functions, no Django.

``name_normalise`` folds what does not tell two organisations apart — accents, case, punctuation,
spacing and legal-form suffixes ("Ltd", "A/S", "Inc", "GmbH", "e.V.", "S.A.") — so that
"A.P. Moller - Maersk" and "A.P.Moller-Maersk A/S" both read ``ap moller maersk``. Suggestions of
duplicates compare these normalised names (PostgreSQL: trigram similarity; elsewhere
the same measure in Python, :func:`name_similarity`).
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

# Legal forms, written as their letters without punctuation or spaces (what is left of "A/S",
# "e.V.", "S.A." once folded), removed when they end a name (and "the" when it begins one).
LEGAL_SUFFIXES = frozenset(
    {
        "ltd", "limited", "inc", "incorporated", "corp", "corporation", "co", "llc", "llp", "plc",
        "lp", "gmbh", "ag", "kg", "ev", "gemeinnutzige", "ggmbh", "as", "aps", "asa", "ab", "oy",
        "oyj", "sa", "sas", "sarl", "sl", "srl", "spa", "bv", "nv", "vzw", "asbl", "pty", "pvt",
        "private", "cic", "cio",
    }
)  # fmt: skip

_SPACE_OR_PUNCT = re.compile(r"[^\w]+")
# Initials written with stops or spaces ("A.P.", "A. P.", "e. V.") read as one token ("ap", "ev").
_INITIALS = re.compile(r"\b(?:[^\W\d_]\s*\.\s*){2,}|\b(?:[^\W\d_]\s*[./]\s*)+[^\W\d_]\b")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


_PUNCTUATION = re.compile(r"[^\w\s]", re.UNICODE)
_LEADING_THE = re.compile(r"^the\s+")


def name_key(name: str) -> str:
    """The key importers match an organisation by (IATI, 3W): case-folded, accents and
    punctuation dropped, spaces collapsed, a leading "the" dropped, so "The Bill & Melinda Gates
    Foundation" and "bill  melinda gates foundation." match. Stricter than
    :func:`name_normalise` (legal forms are kept): an import joins only what is plainly the same
    name; near-duplicates go to the suggestion queue, never merged by an import.
    """
    text = _fold(name or "")
    text = _PUNCTUATION.sub(" ", text)
    text = " ".join(text.split())
    return _LEADING_THE.sub("", text)


def name_normalise(name: str) -> str:
    """``name`` without accents, case, punctuation and legal-form suffixes, words single-spaced.

    >>> name_normalise("A.P. Moller - Maersk") == name_normalise("A.P.Moller-Maersk A/S")
    True
    >>> name_normalise("Médecins Sans Frontières e.V.")
    'medecins sans frontieres'
    """
    folded = _fold(name or "").replace("&", " and ")
    folded = re.sub(r"['’`´]", "", folded)  # "Women's" reads "womens"
    folded = _INITIALS.sub(lambda m: re.sub(r"[\s./]", "", m.group(0)) + " ", folded)
    words = [w for w in _SPACE_OR_PUNCT.split(folded.replace("_", " ")) if w]
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    if len(words) > 1 and words[0] == "the":
        words.pop(0)
    return " ".join(words)


def trigrams(name: str) -> frozenset[str]:
    """The trigrams of ``name`` as PostgreSQL's ``pg_trgm`` counts them: each word padded with
    two spaces before and one after."""
    grams: set[str] = set()
    for word in name.split():
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return frozenset(grams)


def name_similarity(a: str, b: str) -> float:
    """0–1 similarity of two normalised names: the share of trigrams they have in common, as
    ``pg_trgm``'s ``similarity()`` computes it, so that both databases suggest the same pairs."""
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    ta, tb = trigrams(a), trigrams(b)
    return len(ta & tb) / len(ta | tb)


def website_domain(url: str) -> str:
    """The registrable-looking host of ``url``, without ``www.``: ``""`` when there is none."""
    if not url:
        return ""
    host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def similar_name_pairs(
    names: dict[int, str], *, threshold: float, max_block: int = 200
) -> list[tuple[int, int, float]]:
    """Pairs ``(a, b, similarity)`` with ``a < b`` of ``names`` (id → normalised name) at least
    ``threshold`` similar: the fallback of databases without trigrams.

    Names with the same words (in any order) always pair. Others are compared only within blocks
    of names sharing one of their two rarest words (of three letters or more), so that
    "maersk" meets "maersk group" without comparing every pair; a word held by more than
    ``max_block`` names tells nothing apart and forms no block (such names pair by trigrams on
    PostgreSQL only).
    """
    found: dict[tuple[int, int], float] = {}
    same_words: dict[str, list[int]] = {}
    frequency: dict[str, int] = {}
    for pk, name in names.items():
        if name:
            words = set(name.split())
            same_words.setdefault(" ".join(sorted(words)), []).append(pk)
            for word in words:
                frequency[word] = frequency.get(word, 0) + 1
    for members in same_words.values():
        members.sort()
        for b in members[1:]:  # each with the first: a chain, not every pair, in a big group
            found[(members[0], b)] = name_similarity(names[members[0]], names[b])
    blocks: dict[str, list[int]] = {}
    for pk, name in names.items():
        rarest = sorted(
            {w for w in name.split() if len(w) >= 3}, key=lambda w: (frequency[w], -len(w), w)
        )
        for word in rarest[:2]:
            if frequency[word] <= max_block:
                blocks.setdefault(word, []).append(pk)
    grams = {pk: trigrams(names[pk]) for members in blocks.values() for pk in members}
    for members in blocks.values():
        if len(members) < 2:
            continue
        members.sort()
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if (a, b) in found:
                    continue
                score = len(grams[a] & grams[b]) / len(grams[a] | grams[b])
                if score >= threshold:
                    found[(a, b)] = score
    return [(a, b, score) for (a, b), score in found.items() if score >= threshold]
