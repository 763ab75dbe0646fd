"""How long a stakeholder's activity timeline takes once every stake change says "from → to"
(issue 18).

Creates one public stakeholder with a stake in each of ``--outcomes`` outcomes, each re-assessed
``--versions`` times through the service (untimed; every version a history row), beside
``--others`` other stakeholders with one stake each (so the history table is not only theirs), on
the database in DATABASE_URL (migrated first; the rows are removed after). Then times
``stakeholder_timeline`` (all seven sources) and its stake source alone, for an uncleared and a
cleared reader, pages 1 and 5 (best of 5).

The **reference**, measured in the same run on the same rows: the stake history read as the
timeline read it before "from → to" (the same visibility rule, order and limit, without the
earlier version's values): ``stake_ratio`` is what "from → to" costs the stake source,
``ratio`` the whole timeline against that floor. Prints ONE JSON
line with the load average before and after.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sd_bench \\
        .venv/bin/python benchmarks/timeline.py --outcomes 50 --versions 20
"""

import argparse
import os
import sys
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
from relationships.selectors import _stake_entries, stakeholder_timeline  # noqa: E402
from smartdiplomacy.benchmarking import best_of, emit, load_recorded, ratio  # noqa: E402
from stakeholders import services as registry  # noqa: E402
from stakeholders.models import Outcome, Stake, Stakeholder  # noqa: E402
from stakeholders.selectors import relation_history_as_seen  # noqa: E402

POSITIONS = ("supports", "neutral", "opposes")


def fill(run: str, args) -> Stakeholder:
    """One actor with ``versions`` versions of a stake on each of ``outcomes`` outcomes, and
    ``others`` actors beside it; everything marked with ``run`` for the clean-up."""
    outcomes = [
        Outcome.objects.create(title=f"{run} outcome {n}", description=run)
        for n in range(args.outcomes)
    ]
    actor = Stakeholder.objects.create(name=f"{run} actor", description=run)
    for n, outcome in enumerate(outcomes):
        stake = registry.stake_create(
            stakeholder=actor, outcome=outcome, interest=0.5, influence=0.5
        )
        for v in range(args.versions - 1):
            registry.stake_update(
                stake=stake,
                position=POSITIONS[(n + v) % 3],
                influence=round(((n + v) % 10) / 10, 1),
            )
    for n in range(args.others):
        other = Stakeholder.objects.create(name=f"{run} other {n}", description=run)
        registry.stake_create(
            stakeholder=other, outcome=outcomes[n % len(outcomes)], interest=0.3,
            influence=0.3,
        )  # fmt: skip
    return actor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outcomes", type=int, default=50)
    parser.add_argument("--versions", type=int, default=20)
    parser.add_argument("--others", type=int, default=500)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    run = f"bench-timeline-{uuid.uuid4().hex[:8]}"
    figures: dict = {
        "benchmark": "timeline",
        "database": connection.vendor,
        "outcomes": args.outcomes,
        "versions": args.versions,
        "others": args.others,
    }
    uncleared = User.objects.create(username=f"{run}-officer")
    cleared = User.objects.create(username=f"{run}-cleared", is_superuser=True)
    figures["cleared_sees_restricted"] = None
    try:
        with load_recorded(figures):
            actor = fill(run, args)
            from stakeholders.selectors import user_is_cleared

            figures["cleared_sees_restricted"] = user_is_cleared(cleared)
            figures["stake_history_rows"] = Stake.history.filter(stakeholder_id=actor.pk).count()

            def reference(user, page):
                rows = relation_history_as_seen(
                    Stake.history.filter(stakeholder_id=actor.pk), user=user,
                    ends=("stakeholder_id",),
                )  # fmt: skip
                limit = page * 20 + 1
                list(
                    rows.select_related("history_user", "outcome").order_by(
                        "-history_date", "-history_id"
                    )[:limit]
                )

            for name, user in (("uncleared", uncleared), ("cleared", cleared)):
                for page in (1, 5):
                    stakeholder_timeline(stakeholder=actor, user=user, page=page)  # warm
                    seconds = best_of(
                        lambda u=user, p=page: stakeholder_timeline(
                            stakeholder=actor, user=u, page=p
                        ),
                        repeat=5,
                    )
                    floor = best_of(lambda u=user, p=page: reference(u, p), repeat=5)
                    stake_source = best_of(
                        lambda u=user, p=page: _stake_entries(actor, u, p * 20 + 1), repeat=5
                    )
                    figures[f"{name}_page{page}_stake_source_s"] = round(stake_source, 4)
                    figures[f"{name}_page{page}_stake_ratio"] = ratio(stake_source, floor)
                    figures[f"{name}_page{page}_s"] = round(seconds, 4)
                    figures[f"{name}_page{page}_reference_s"] = round(floor, 4)
                    figures[f"{name}_page{page}_ratio"] = ratio(seconds, floor)
    finally:
        Stake.objects.filter(outcome__description=run).delete()
        Stakeholder.all_objects.filter(description=run).delete()
        Outcome.objects.filter(description=run).delete()
        User.objects.filter(username__startswith=run).delete()
    emit(figures)


if __name__ == "__main__":
    main()
