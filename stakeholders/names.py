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
from collections.abc import Iterable
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
    if text.isascii():  # no decomposition, no combining mark: the same result, 7× faster
        return text.casefold()
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


# --- display names ---------------------------------------------------------------------------
#
# Importers keep the publisher's exact name (``Stakeholder.recorded_name``) and show a clean one
# (``Stakeholder.name``): publishers often write names in capitals ("GOVERNMENT OF MALAYSIA") or
# cut them at a field limit ("…Community, Tanzani").

# Words written in lower case inside a title-cased name (not as its first word): English,
# Spanish, French, Portuguese, Italian, German and Dutch articles, prepositions and conjunctions.
SMALL_WORDS = frozenset(
    {
        "a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "of", "on", "or", "the",
        "to", "with", "de", "del", "la", "las", "el", "los", "y", "e", "en", "para", "por", "con",
        "et", "des", "du", "le", "les", "au", "aux", "pour", "sur", "da", "das", "do", "dos",
        "di", "della", "und", "für", "fur", "von", "van", "der", "den", "het", "voor",
    }
)  # fmt: skip

# Acronyms that keep their capitals when a name written in capitals is title-cased. Words of two
# or more letters without a vowel ("DRC", "GFDRR") and words with digits or stops ("G7",
# "U.S.") are read as acronyms too.
ACRONYMS = frozenset(
    {
        "UN", "UNDP", "UNICEF", "UNHCR", "UNFPA", "UNOPS", "UNESCO", "UNAIDS", "UNEP", "UNRWA",
        "USAID", "NGO", "NGOS", "INGO", "CSO", "CBO", "FBO", "EU", "UK", "USA", "WFP", "FAO",
        "IOM", "ILO", "OCHA", "WHO", "GIZ", "KFW", "DFID", "FCDO", "AFD", "JICA", "KOICA", "SIDA",
        "NORAD", "DANIDA", "IFAD", "IFRC", "ICRC", "BRAC", "MSF", "IRC", "HIV", "AIDS", "WASH",
        "LGBT", "LGBTI", "LGBTIQ", "SRHR", "GBV", "ICT", "IT", "PLC", "LLC", "NV", "BV", "AG",
        "SA", "AB", "AS", "ASA", "GMBH", "OECD", "DAC", "IATI", "ECOWAS", "SADC", "ASEAN", "AU",
        "IDB", "ADB", "AFDB", "IMF", "WB", "IBRD", "IDA", "CGIAR", "II", "III", "IV", "VI",
    }
)  # fmt: skip

_WORD = re.compile(r"[^\W\d_][\w'’]*|\d[\w'’]*", re.UNICODE)
_VOWELS = set("AEIOUYÁÉÍÓÚÀÈÌÒÙÂÊÎÔÛÄËÏÖÜÃÕ")
_TRAILING_ACRONYM = re.compile(r"^(?P<name>.*\S)\s*\((?P<acronym>[^()\s]{2,20})\)$")
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…)$")


def is_all_capitals(text: str) -> bool:
    """True when ``text`` has letters and none of them is lower case."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and not any(c.islower() for c in letters)


def _looks_like_acronym(word: str, *, bracketed: bool) -> bool:
    upper = word.upper()
    if upper in ACRONYMS or bracketed:
        return True
    if any(c.isdigit() for c in word):
        return True
    letters = [c for c in upper if c.isalpha()]
    return len(letters) >= 2 and not any(c in _VOWELS for c in letters)


def title_case(text: str) -> str:
    """``text`` written in capitals, title-cased as a reader expects an organisation's name:
    small words lower case except at the start ("Government of Malaysia"), acronyms kept
    ("UNDP Country Office"), apostrophes inside words ("Women's"), words in brackets kept.

    >>> title_case("GOVERNMENT OF MALAYSIA")
    'Government of Malaysia'
    >>> title_case("MINISTERIO DE SALUD PUBLICA Y BIENESTAR SOCIAL (MSPBS)")
    'Ministerio de Salud Publica y Bienestar Social (MSPBS)'
    """
    out: list[str] = []
    position = 0
    first = True
    depth = 0
    for match in _WORD.finditer(text):
        between = text[position : match.start()]
        depth += between.count("(") - between.count(")")
        out.append(between)
        word = match.group(0)
        lower = word.lower()
        after = text[match.end() : match.end() + 1]
        if first and len(word) <= 3 and text[match.end() : match.end() + 1] == "-":
            out.append(word)  # a country code before a hyphen: "ECU-MUNICIPIO DE QUITO"
        elif _looks_like_acronym(word, bracketed=depth > 0):
            out.append(word)
        elif len(word) == 1 and (after in "./&" and after or between.endswith((".", "/", "&"))):
            out.append(word)  # an initial: "A.P. Moller", "A/S", "AT&T"
        elif not first and lower in SMALL_WORDS and not between.endswith(("-", "/")):
            out.append(lower)
        else:
            # "D'ARCY" → "D'Arcy" would need a dictionary; "WOMEN'S" → "Women's" is the common case
            out.append(lower[:1].upper() + lower[1:])
        first = False
        position = match.end()
    out.append(text[position:])
    return "".join(out)


def _is_acronym_of(candidate: str, name: str) -> bool:
    """Whether ``candidate`` (in brackets after ``name``) reads as its acronym: letters only, at
    least two capitals, starting with the initial of one of the name's words. "(UK)" after
    "Action Against Hunger" or "(SUD/EST)" is a qualifier, not an acronym: it stays in the name."""
    if not candidate.isalpha() or sum(c.isupper() for c in candidate) < 2:
        return False
    initials = {word[0].upper() for word in _WORD.findall(name) if word[0].isalpha()}
    return candidate[0].upper() in initials


def name_display(recorded: str) -> tuple[str, str]:
    """The display name and acronym of a name as a publisher recorded it.

    Spaces are collapsed; a name in capitals is title-cased (:func:`title_case`); a trailing
    acronym in brackets is split off ("United Nations Children's Fund (UNICEF)" → the name and
    "UNICEF"), unless the brackets are all the name has. Names in mixed case are kept as written.

    >>> name_display("GOVERNMENT OF MALAYSIA")
    ('Government of Malaysia', '')
    >>> name_display("Deutsche Gesellschaft für Internationale Zusammenarbeit (GIZ)")
    ('Deutsche Gesellschaft für Internationale Zusammenarbeit', 'GIZ')
    """
    text = " ".join((recorded or "").split())
    acronym = ""
    match = _TRAILING_ACRONYM.match(text)
    if match and _is_acronym_of(match.group("acronym"), match.group("name")):
        text, acronym = match.group("name").rstrip(" -–,"), match.group("acronym")
    if is_all_capitals(text) and (len(text.split()) > 1 or len(text) > 8):
        text = title_case(text)
    return text, acronym


def name_is_truncation(short: str, full: str, *, min_length: int = 12) -> bool:
    """True when ``short`` reads as ``full`` cut off at a field limit: ``full`` starts with it
    (compared as :func:`name_key` reads names), it is not a whole-word prefix (the cut falls
    inside a word, or ``short`` ends with an ellipsis), and it is at least ``min_length``
    characters long, so that "Save" is never taken for a cut "Save the Children".

    >>> name_is_truncation("Smart Youth Effort For Advanced Community, Tanzani",
    ...                    "Smart Youth Effort For Advanced Community, Tanzania")
    True
    >>> name_is_truncation("Save the Children", "Save the Children UK")
    False
    """
    ellipsis = bool(_ELLIPSIS.search(short or ""))
    short_key = name_key(_ELLIPSIS.sub("", short or ""))
    full_key = name_key(full or "")
    if len(short_key) < min_length or len(full_key) <= len(short_key):
        return False
    if not full_key.startswith(short_key):
        return False
    return ellipsis or full_key[len(short_key)] != " "


def names_fullest(names: Iterable[str]) -> dict[str, str]:
    """Each name of ``names`` that is a truncation (:func:`name_is_truncation`) of another,
    mapped to the longest name it is a truncation of; names that are not cut are left out.

    Sorted by key, a truncated name comes right before the names it cuts, so this looks only at
    its neighbours: O(n log n), not every pair.
    """
    keyed = sorted(
        {(name_key(_ELLIPSIS.sub("", name)), name) for name in names if name},
        key=lambda item: item[0],
    )
    result: dict[str, str] = {}
    for i, (key, name) in enumerate(keyed):
        best = None
        for other_key, other in keyed[i + 1 :]:
            if not other_key.startswith(key):
                break
            if name_is_truncation(name, other) and (best is None or len(other) > len(best)):
                best = other
        if best is not None:
            result[name] = best
    return result
