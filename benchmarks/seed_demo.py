"""Time the demo load and the synthetic registry load; print the figures as JSON.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_bench \\
        .venv/bin/python benchmarks/seed_demo.py --stakeholders 100000 --stakes 1000000

Runs against the database in DATABASE_URL (migrated beforehand) and REPLACES its synthetic
registry; ``--demo`` also loads the demo scenario first (a second run finds it loaded). Prints ONE
JSON line with the load average before and after and a **reference** measured in the same run:
as many rows as the synthetic registry has (stakeholders + stakes + ties), three integer columns
each, COPYed from NumPy-made text into a temporary table (best of 2) — the floor of writing that
many rows; ``vs_reference`` is the synthetic load's wall time as a multiple of it.
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
    from smartdiplomacy.benchmarking import best_of, load_average, machine, ratio
    from stakeholders.synthetic.storage import synthetic_registry_create

    figures: dict = {"database": connection.vendor, "load_before": load_average(), **machine()}
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

    rows = args.stakeholders + args.stakes + args.ties

    def copy_rows():
        import io

        import numpy as np

        values = np.arange(rows * 3, dtype=np.int64).reshape(rows, 3)
        buffer = io.StringIO()
        np.savetxt(buffer, values, fmt="%d", delimiter="\t")
        buffer.seek(0)
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMPORARY TABLE IF NOT EXISTS bench_reference (a int8, b int8, c int8)"
            )
            cursor.execute("TRUNCATE bench_reference")
            cursor.cursor.copy_expert("COPY bench_reference FROM STDIN", buffer)

    if connection.vendor == "postgresql":
        reference = best_of(copy_rows, repeat=2)
        figures["reference"] = {
            "what": "COPY of as many 3-integer rows into a temporary table",
            "rows": rows,
            "seconds": round(reference, 3),
        }
        figures["vs_reference"] = ratio(figures["synthetic"]["wall_seconds"], reference, 1)
    figures["load_after"] = load_average()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
