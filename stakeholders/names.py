"""Names compared as people read them: pure functions, no Django.

``name_normalise`` folds what does not tell two organisations apart — accents, case, punctuation,
spacing and legal-form suffixes ("Ltd", "A/S", "Inc", "GmbH", "e.V.", "S.A.") — so that
"A.P. Moller - Maersk" and "A.P.Moller-Maersk A/S" both read ``ap moller maersk``. Suggestions of
duplicates compare these normalised names (PostgreSQL: trigram similarity; elsewhere
:func:`name_similarity`).
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
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


def name_similarity(a: str, b: str) -> float:
    """0–1 similarity of two normalised names: the better of the character ratio (difflib) and
    the words' overlap (Jaccard), so that reordered words still match."""
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    words_a, words_b = set(a.split()), set(b.split())
    jaccard = len(words_a & words_b) / len(words_a | words_b)
    return max(SequenceMatcher(None, a, b).ratio(), jaccard)


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

    Compared only within blocks sharing a word of three letters or more, or the first four
    letters (so "maersk" meets "maersk group", "ap moller" meets "apmoller"); a word shared by
    more than ``max_block`` names says nothing and forms no block.
    """
    blocks: dict[str, list[int]] = {}
    for pk, name in names.items():
        if not name:
            continue
        keys = {f"w:{word}" for word in name.split() if len(word) >= 3}
        keys.add(f"p:{name.replace(' ', '')[:4]}")
        for key in keys:
            blocks.setdefault(key, []).append(pk)
    seen: dict[tuple[int, int], float] = {}
    for members in blocks.values():
        if len(members) < 2 or len(members) > max_block:
            continue
        members.sort()
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if (a, b) in seen:
                    continue
                score = name_similarity(names[a], names[b])
                seen[(a, b)] = score
    return [(a, b, score) for (a, b), score in seen.items() if score >= threshold]
