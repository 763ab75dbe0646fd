"""Running a plan over a whole file: the planner for each kind of file, batches, progress, counts,
the first errors and samples.
"""

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from stakeholders.imports.parsing import FileProblem, SourceRow, open_table
from stakeholders.imports.planning.base import CREATE, ERROR, UPDATE, PlannedRow, Planner
from stakeholders.imports.planning.outcomes import OutcomePlanner
from stakeholders.imports.planning.stakeholders import StakeholderPlanner
from stakeholders.imports.planning.stakes import StakePlanner
from stakeholders.imports.planning.ties import TiePlanner
from stakeholders.imports.validation import RowError

BATCH_SIZE = 1000
MAX_REPORTED_ERRORS = 500
SAMPLE_SIZE = 20
PROGRESS_INTERVAL = 0.5  # seconds between two progress reports


PLANNERS: dict[str, type[Planner]] = {
    planner.kind: planner
    for planner in (StakeholderPlanner, OutcomePlanner, StakePlanner, TiePlanner)
}


# --- running a plan over a file --------------------------------------------------------------


@dataclass
class PlanResult:
    """What a whole file would do: counts, the first errors, samples, and (if kept) the plans."""

    format: str = ""
    delimiter: str = ""
    columns: list[str] = field(default_factory=list)
    rows_read: int = 0
    counts: Counter = field(default_factory=Counter)
    errors: list[RowError] = field(default_factory=list)
    error_columns: Counter = field(default_factory=Counter)
    samples: dict[str, list[dict]] = field(default_factory=lambda: {CREATE: [], UPDATE: []})
    involves_restricted: bool = False
    file_problem: str = ""
    plans: list[PlannedRow] = field(default_factory=list)

    @property
    def error_count(self) -> int:
        return self.counts[ERROR] + (1 if self.file_problem else 0)

    def add_error(self, error: RowError) -> None:
        self.error_columns[error.column or "(whole row)"] += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(error)

    def report(self) -> dict:
        return {
            "format": self.format,
            "delimiter": self.delimiter,
            "columns": self.columns,
            "rows_read": self.rows_read,
            "file_problem": self.file_problem,
            "errors": [error.as_dict() for error in self.errors],
            "errors_shown": len(self.errors),
            "errors_total": sum(self.error_columns.values()),
            "rows_with_errors": self.counts[ERROR],
            "error_columns": dict(self.error_columns.most_common()),
            "samples": self.samples,
        }


def _batches(rows: Iterator[SourceRow], size: int) -> Iterator[list[SourceRow]]:
    while batch := list(islice(rows, size)):
        yield batch


def plan_file(
    *,
    path,
    kind: str,
    user,
    keep_plans: bool = False,
    on_progress: Callable[[int, int | None], None] | None = None,
    progress_every: float | None = None,
) -> PlanResult:
    """Read and check a whole file as ``user``; nothing is written.

    ``keep_plans`` keeps the creates and updates for ``services`` to write. ``on_progress(rows,
    total)`` is called at most every ``progress_every`` seconds (default PROGRESS_INTERVAL).
    """
    if progress_every is None:
        progress_every = PROGRESS_INTERVAL
    result = PlanResult()
    last_progress = time.monotonic()
    try:
        with open_table(path) as table:
            result.format, result.delimiter = table.format, table.delimiter
            result.columns = list(table.headers)
            planner = PLANNERS[kind](user=user, headers=table.headers)
            header_errors = planner.header_errors()
            if header_errors:
                for error in header_errors:
                    result.add_error(error)
                result.file_problem = "The header row does not fit a " + kind + " file."
                return result
            for batch in _batches(table.rows(), BATCH_SIZE):
                for plan in planner.plan_batch(batch):
                    result.rows_read += 1
                    result.counts[plan.action] += 1
                    result.involves_restricted |= plan.restricted
                    for error in plan.errors:
                        result.add_error(error)
                    _sample(result, plan)
                    if keep_plans and plan.action in (CREATE, UPDATE):
                        result.plans.append(plan)
                if on_progress and time.monotonic() - last_progress >= progress_every:
                    on_progress(result.rows_read, table.total_rows)
                    last_progress = time.monotonic()
    except FileProblem as problem:
        result.file_problem = problem.message
        result.add_error(RowError(row=problem.row or 0, column="", message=problem.message))
        return result
    if result.rows_read == 0:
        result.file_problem = "The file has a header row but no data rows."
        result.add_error(RowError(row=0, column="", message=result.file_problem))
    return result


def _sample(result: PlanResult, plan: PlannedRow) -> None:
    sample = result.samples.get(plan.action)
    if sample is None or len(sample) >= SAMPLE_SIZE:
        return
    entry = {"row": plan.row, "label": plan.label}
    if plan.action == UPDATE:
        entry["changes"] = [
            {"column": column, "old": old, "new": new} for column, old, new in plan.changes
        ]
    sample.append(entry)
