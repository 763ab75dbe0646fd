"""How long duplicate suggestions take over a large registry (issue 16).

Creates N synthetic public stakeholders (default 100,000; untimed, bulk) whose names are built
from word lists, 3 % of them a variant of another (capitals, a legal form, punctuation), on the
database in DATABASE_URL (migrated first; use a throwaway database — the rows are removed after).
Then times ``duplicates.duplicate_pairs`` for a cleared person (every row seen: names, identifiers,
websites), ``duplicates.stakeholder_matches`` for one name (through the trigram index on
PostgreSQL; mean of 100 names), and the name comparison alone (``names.similar_name_pairs``).

The **reference**, measured in the same run on the same names: one plain Python pass that
normalises every name (``names.name_normalise``), the floor of looking at each name once.
Prints ONE JSON line with the load average before and after.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_bench \\
        .venv/bin/python benchmarks/duplicate_suggestions.py --rows 100000
"""

import argparse
import os
import random
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartdiplomacy.settings.local")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.models import User  # noqa: E402
from smartdiplomacy.benchmarking import best_of, emit, load_recorded, ratio  # noqa: E402
from stakeholders.duplicates import (  # noqa: E402
    NAME_THRESHOLD,
    duplicate_pairs,
    stakeholder_matches,
)
from stakeholders.models import Stakeholder  # noqa: E402
from stakeholders.names import name_normalise, similar_name_pairs  # noqa: E402

# Real registries' names are mostly told apart by a proper name ("Maersk", "Oxfam", "Kalumbe"):
# each synthetic name has one, made of three syllables, beside common words and a place.
SYLLABLES = ["ka", "lu", "mbe", "to", "ri", "sa", "no", "vi", "da", "me", "zu", "ko", "ba",
             "ne", "sho", "ra", "ti", "fa", "go", "wa", "li", "mo", "ye", "nda", "pe"]  # fmt: skip
COMMON = ["Relief", "Development", "Action", "Rights", "Women's", "Youth", "Community", "Peace",
          "Health", "Water", "Education", "Network", "Alliance", "Support"]  # fmt: skip
FORMS = ["Foundation", "Trust", "Initiative", "Association", "Council", "Institute", "Forum",
         "Fund", "Centre", "Society"]  # fmt: skip
PLACES = ["Kenya", "Yemen", "Mali", "Niger", "Sahel", "Somalia", "Bangladesh", "Myanmar",
          "Ukraine", "Colombia", "Senegal", "Chad", "Sudan", "Haiti", "Nepal", "Peru"]  # fmt: skip
SUFFIXES = [" Ltd", " Inc.", " e.V.", " A/S", " GmbH", " S.A."]


def names(rows: int, seed: int = 16) -> list[str]:
    rng = random.Random(seed)
    unique: set[str] = set()
    target = int(rows * 0.97)
    while len(unique) < target:
        proper = "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize()
        words = [proper, rng.choice(COMMON), rng.choice(FORMS)]
        if rng.random() < 0.5:
            words.append(rng.choice(PLACES))
        unique.add(" ".join(words))
    originals = sorted(unique)
    rng.shuffle(originals)
    variants = [
        rng.choice([name.upper(), name + rng.choice(SUFFIXES), name.replace(" ", "-", 1)])
        for name in rng.sample(originals, rows - len(originals))
    ]
    return originals + variants


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    run = uuid.uuid4().hex[:8]
    generated = names(args.rows)
    figures = {"benchmark": "duplicate_suggestions", "rows": args.rows, "db": connection.vendor}
    with load_recorded(figures):
        Stakeholder.objects.bulk_create(
            [
                Stakeholder(name=n, normalised_name=name_normalise(n), kind="ngo", description=run)
                for n in generated
            ],
            batch_size=5000,
        )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE stakeholders_stakeholder")
        cleared = User(username="bench", is_superuser=True, is_active=True)
        try:
            reference = best_of(lambda: [name_normalise(n) for n in generated], repeat=3)
            started = time.perf_counter()
            pairs = duplicate_pairs(user=cleared)
            suggestions = time.perf_counter() - started
            probes = generated[:: max(1, len(generated) // 100)][:100]
            started = time.perf_counter()
            for name in probes:
                stakeholder_matches(user=cleared, name=name)
            match_ms = (time.perf_counter() - started) / len(probes) * 1000
            normalised = {i: name_normalise(n) for i, n in enumerate(generated)}
            started = time.perf_counter()
            fallback = similar_name_pairs(normalised, threshold=NAME_THRESHOLD)
            fallback_seconds = time.perf_counter() - started
        finally:
            # Untimed, without signals: nothing refers to these rows, and a delete that tells the
            # graph about each would rebuild its snapshots thousands of times.
            Stakeholder.all_objects.filter(description=run)._raw_delete(connection.alias)
        figures.update(
            {
                "suggestion_seconds": round(suggestions, 2),
                "pairs": len(pairs),
                "planted_variants": args.rows - int(args.rows * 0.97),
                "match_one_name_ms": round(match_ms, 1),
                "python_fallback_seconds": round(fallback_seconds, 2),
                "python_fallback_pairs": len(fallback),
                "reference": "one plain Python pass normalising every name",
                "reference_seconds": round(reference, 3),
                "vs_reference": ratio(suggestions, reference, 1),
                "fallback_vs_reference": ratio(fallback_seconds, reference, 1),
            }
        )
    emit(figures)


if __name__ == "__main__":
    main()
