"""What an import did: counts per kind of row, notes, schema problems; kept on a run as JSON."""

import dataclasses
from collections import Counter

from smartdiplomacy.exceptions import ApplicationError

PROBLEM_KINDS_KEPT = 1000  # distinct schema messages counted one by one
DETAILS_KEPT = 100  # skipped items listed one by one in the report; the rest are only counted


class IatiImportError(ApplicationError):
    """The import was refused as a whole (nothing written); the message says which file and why."""

    def __init__(self, message: str):
        super().__init__(message, "paths")


@dataclasses.dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0


@dataclasses.dataclass
class ImportReport:
    """What one import did: counts per kind of row, and why anything was skipped or noted."""

    files: list[str] = dataclasses.field(default_factory=list)
    activities_read: int = 0
    counts: dict[str, Counts] = dataclasses.field(
        default_factory=lambda: {
            name: Counts()
            for name in (
                "activities",
                "stakeholders",
                "identifiers",
                "sectors",
                "outcomes",
                "stakes",
                "engagements",
            )
        }
    )
    # Reasons → how often; and the first DETAILS_KEPT skipped items with what they were.
    notes: Counter = dataclasses.field(default_factory=Counter)
    skipped: list[str] = dataclasses.field(default_factory=list)
    # Schema problems (``validation``): how many, by message, and the first DETAILS_KEPT with
    # their file and line.
    problem_count: int = 0
    problem_kinds: Counter = dataclasses.field(default_factory=Counter)
    problems: list[str] = dataclasses.field(default_factory=list)
    # Activities that got past reading (an identifier, not repeated): stored, or kept as stored.
    activities_usable: int = 0
    seconds: float = 0.0

    def problem(self, problem, *, source: str) -> None:
        self.problem_count += 1
        # Messages quote values ("'1,200,000' is not a valid…"): their variety is capped.
        if problem.message in self.problem_kinds or len(self.problem_kinds) < PROBLEM_KINDS_KEPT:
            self.problem_kinds[problem.message] += 1
        else:
            self.problem_kinds["(other messages)"] += 1
        if len(self.problems) < DETAILS_KEPT:
            self.problems.append(f"{source}, {problem}")

    @property
    def failure(self) -> str | None:
        """Why nothing could be imported, naming the commonest reasons; None when something
        was. A file of activities that were all skipped is a failure, not "0 imported"."""
        if self.activities_usable:
            return None
        if not self.activities_read:
            return "Nothing was imported: the files hold no <iati-activity>."
        reasons = "; ".join(f"{count:,} × {reason}" for reason, count in self.notes.most_common(3))
        return (
            f"Nothing was imported: none of the {self.activities_read:,} activities read could "
            f"be used. Commonest reasons: {reasons or 'none noted'}."
        )

    def as_json(self) -> dict:
        """The report as JSON, kept on a run between its tasks."""
        data = dataclasses.asdict(self)
        data["counts"] = {name: dataclasses.asdict(counts) for name, counts in self.counts.items()}
        data["notes"], data["problem_kinds"] = dict(self.notes), dict(self.problem_kinds)
        return data

    @classmethod
    def from_json(cls, data: dict) -> "ImportReport":
        report = cls(**{key: value for key, value in data.items() if key not in ("counts",)})
        report.counts = {name: Counts(**value) for name, value in data["counts"].items()}
        report.notes, report.problem_kinds = Counter(data["notes"]), Counter(data["problem_kinds"])
        return report

    def note(self, reason: str, detail: str | None = None) -> None:
        self.notes[reason] += 1
        if detail is not None and len(self.skipped) < DETAILS_KEPT:
            self.skipped.append(f"{detail}: {reason}")

    @property
    def changed(self) -> int:
        return sum(counts.created + counts.updated for counts in self.counts.values())

    def lines(self) -> list[str]:
        """The report as plain lines, for the command line and logs."""
        out = [f"Files: {', '.join(self.files)}", f"Activities read: {self.activities_read:,}"]
        for name, counts in self.counts.items():
            out.append(
                f"  {name:<12} created {counts.created:>6,}  updated {counts.updated:>6,}  "
                f"unchanged {counts.unchanged:>6,}  skipped {counts.skipped:>6,}"
            )
        if self.problem_count:
            out.append(
                f"Schema problems (official IATI schema of each file's version): "
                f"{self.problem_count:,}; commonest:"
            )
            out.extend(
                f"  {count:>6,} × {message}"
                for message, count in self.problem_kinds.most_common(10)
            )
            out.append(f"Schema problems with their lines (first {DETAILS_KEPT}):")
            out.extend(f"  {line}" for line in self.problems)
        if self.notes:
            out.append("Notes (why skipped, or what was assumed):")
            out.extend(f"  {count:>6,} × {reason}" for reason, count in self.notes.most_common())
        if self.skipped:
            out.append(f"Details (first {DETAILS_KEPT}):")
            out.extend(f"  {line}" for line in self.skipped)
        return out
