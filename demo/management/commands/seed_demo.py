"""``manage.py seed_demo``: the demo scenario and demo users, or a large synthetic registry."""

from django.core.management.base import BaseCommand, CommandError

from demo.engagements import demo_engagements_ensure
from demo.interactions import demo_interactions_ensure
from demo.load import demo_scenario_load
from demo.over_time import demo_over_time_ensure
from demo.users import DEMO_PASSWORD, demo_users_ensure
from graph.models import GraphSnapshot
from graph.services import graph_snapshots_bring_up_to_date, graph_snapshots_missing
from iati.importing import SAMPLE_FILE, iati_import
from stakeholders.models import Outcome
from stakeholders.synthetic.generation import SyntheticSizeError, synthetic_sizes_check
from stakeholders.synthetic.storage import synthetic_registry_create

SIZE_OPTIONS = ("stakeholders", "stakes", "ties", "outcomes")


class Command(BaseCommand):
    help = (
        "Without size options: load the demo scenario (about 270 stakeholders of every kind in "
        "over 40 countries, 20 outcomes, 1,000+ stakes, 500+ ties, sectors with OECD DAC codes) "
        f"and the demo users (password {DEMO_PASSWORD!r}). Safe to run again: only what is "
        "missing is created, with change history. "
        "With --stakeholders N [--stakes M] [--ties T] [--outcomes K] [--seed S]: replace the "
        "synthetic benchmark registry ('Synthetic actor 000001', ...) with a generated one of "
        "those sizes, in one transaction and WITHOUT change history; demo and other rows are "
        "left alone. --outcomes defaults to max(20, M // 500)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--stakeholders", type=int, help="Synthetic: how many actors to generate (N ≥ 1)."
        )
        parser.add_argument(
            "--stakes",
            type=int,
            help="Synthetic: how many stakes (0 ≤ M ≤ N × K; unique stakeholder × outcome).",
        )
        parser.add_argument(
            "--ties",
            type=int,
            help="Synthetic: how many ties (0 ≤ T ≤ N(N−1)/2; one per pair of actors).",
        )
        parser.add_argument(
            "--outcomes",
            type=int,
            help="Synthetic: how many outcomes (K ≥ 1; default max(20, M // 500)).",
        )
        parser.add_argument(
            "--seed", type=int, help="Synthetic: random seed (default 0); same seed, same data."
        )
        parser.add_argument(
            "--iati",
            action="store_true",
            help="Also import the 401 real IATI activities of iati/sample/ "
            "(organisations, outcomes and stakes; safe to repeat).",
        )

    def handle(self, *args, **options):
        sizes = {name: options[name] for name in SIZE_OPTIONS}
        if all(value is None for value in sizes.values()):
            if options["seed"] is not None:
                raise CommandError(
                    "--seed only applies to a synthetic registry (--stakeholders N)."
                )
            self._demo(verbosity=options["verbosity"])
        else:
            self._synthetic(sizes, seed=options["seed"] or 0)
        if options["iati"]:
            self._iati()

    def _iati(self) -> None:
        self.stdout.write(f"Importing the IATI sample ({SAMPLE_FILE.name})…")
        report = iati_import(paths=[SAMPLE_FILE])
        # The files, the activities read and every count (engagements included); not the notes.
        summary = report.lines()[: 2 + len(report.counts)]
        self.stdout.write(self.style.SUCCESS("\n".join(summary)))

    def _demo(self, *, verbosity: int) -> None:
        self.stdout.write("Loading the demo scenario…")
        result = demo_scenario_load(log=self.stdout.write if verbosity > 1 else None)
        if result.already_loaded:
            self.stdout.write("Demo scenario already loaded.")
        else:
            created = ", ".join(f"{count} {name}" for name, count in result.created.items())
            self.stdout.write(self.style.SUCCESS(f"Created {created} in {result.seconds:.1f} s."))
        totals = result.totals
        self.stdout.write(
            f"The scenario: {totals['stakeholders']} stakeholders, {totals['outcomes']} outcomes, "
            f"{totals['stakes']} stakes, {totals['ties']} ties, {totals['sectors']} sectors."
        )
        self._users_table(demo_users_ensure())
        engagements = demo_engagements_ensure()
        if engagements:
            self.stdout.write(f"Created {engagements} demo engagements, scored by the index.")
        interactions = demo_interactions_ensure()
        if interactions:
            self.stdout.write(
                f"Logged {interactions} demo interactions, with owners and follow-ups."
            )
        changes, assessed = demo_over_time_ensure()
        if changes or assessed:
            self.stdout.write(
                f"Recorded {changes} dated stake re-assessments and {assessed} salience "
                "assessments."
            )
        self._graph_metrics()
        self._coalitions()

    def _coalitions(self) -> None:
        # The overlap run that loading the demo starts computes every outcome's coalitions (in
        # process without a broker); a database loaded before coalitions existed gets them now.
        from partnerships.coalitions.services import coalitions_compute_all
        from partnerships.models import Coalition, CoalitionComputation

        if Outcome.objects.exclude(coalition_computations__isnull=False).exists():
            coalitions_compute_all()
        computed = CoalitionComputation.objects.filter(audience="cleared").count()
        if not computed:
            self.stdout.write("Coalitions: queued for a worker.")
            return
        count = Coalition.objects.filter(audience="cleared").count()
        self.stdout.write(f"Coalitions: {count} for {computed} outcomes.")

    def _graph_metrics(self) -> None:
        # Loading the demo refreshes the graph's snapshots (in process without a broker); an
        # older database loaded before that may still lack them.
        if graph_snapshots_missing():
            graph_snapshots_bring_up_to_date()
        snapshot = GraphSnapshot.objects.filter(audience=GraphSnapshot.Audience.CLEARED).first()
        if snapshot is None:
            self.stdout.write("Graph metrics: queued for a worker.")
        else:
            self.stdout.write(
                f"Graph metrics: {snapshot.node_count} actors, {snapshot.edge_count} links, "
                f"computed {snapshot.computed_at:%Y-%m-%d %H:%M} UTC."
            )

    def _users_table(self, rows: list[dict]) -> None:
        self.stdout.write("")
        self.stdout.write(f"Demo users (password {DEMO_PASSWORD!r}, set when a user is created):")
        header = ("username", "name", "role", "cleared?")
        lines = [
            (row["username"], row["name"], row["role"], "yes" if row["cleared"] else "no")
            for row in rows
        ]
        widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header))]
        for line in [header, tuple("-" * w for w in widths), *lines]:
            cells = (cell.ljust(width) for cell, width in zip(line, widths, strict=True))
            self.stdout.write(("  " + "  ".join(cells)).rstrip())

    def _synthetic(self, sizes: dict, *, seed: int) -> None:
        try:
            checked = synthetic_sizes_check(**sizes)
        except SyntheticSizeError as error:
            raise CommandError(f"--{error.option}: {error.message}") from error
        note = "" if sizes["outcomes"] is not None else " (default max(20, stakes // 500))"
        self.stdout.write(
            f"Generating a synthetic registry: {checked.stakeholders:,} stakeholders, "
            f"{checked.outcomes:,} outcomes{note}, {checked.stakes:,} stakes, {checked.ties:,} "
            f"ties, seed {seed}…"
        )
        summary = synthetic_registry_create(
            stakeholders=checked.stakeholders,
            stakes=checked.stakes,
            ties=checked.ties,
            outcomes=checked.outcomes,
            seed=seed,
        )
        previous = summary["deleted_previous"]
        if previous["stakeholders"] or previous["outcomes"]:
            self.stdout.write(
                f"Replaced the previous synthetic set ({previous['stakeholders']:,} stakeholders, "
                f"{previous['outcomes']:,} outcomes and what hung off them)."
            )
        self.stdout.write("Seconds per phase:")
        for phase, seconds in summary["seconds"].items():
            self.stdout.write(f"  {phase:<22} {seconds:8.2f}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {summary['stakeholders']:,} stakeholders, {summary['outcomes']:,} "
                f"outcomes, {summary['stakes']:,} stakes and {summary['ties']:,} ties on "
                f"{summary['database']} in {summary['total_seconds']:.1f} s."
            )
        )
