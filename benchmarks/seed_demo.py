"""Time the demo load and the synthetic registry load; print the figures as JSON.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_bench \\
        .venv/bin/python benchmarks/seed_demo.py --stakeholders 100000 --stakes 1000000

Runs against the database in DATABASE_URL (migrated beforehand) and REPLACES its synthetic
registry; ``--demo`` also loads the demo scenario first (a second run finds it loaded).
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smartdiplomacy.settings.local")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stakeholders", type=int, default=20_000)
    parser.add_argument("--stakes", type=int, default=200_000)
    parser.add_argument("--ties", type=int, default=0)
    parser.add_argument("--outcomes", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--demo", action="store_true", help="load the demo scenario first")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    from demo.load import demo_scenario_load
    from stakeholders.synthetic import synthetic_registry_create

    figures: dict = {"database": connection.vendor}
    if args.demo:
        started = time.perf_counter()
        result = demo_scenario_load()
        figures["demo"] = {
            "already_loaded": result.already_loaded,
            "created": result.created,
            "seconds": round(time.perf_counter() - started, 3),
        }
    started = time.perf_counter()
    figures["synthetic"] = synthetic_registry_create(
        stakeholders=args.stakeholders,
        stakes=args.stakes,
        ties=args.ties,
        outcomes=args.outcomes,
        seed=args.seed,
    )
    figures["synthetic"]["wall_seconds"] = round(time.perf_counter() - started, 3)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
