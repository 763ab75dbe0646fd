"""What the home page shows each person: their tasks first, then what changed, the index headline
and the newest candidate partnerships; a first-run welcome when the registry is empty. Operator
notes (background workers) are for administrators only.

Project glue: it reads every app through its selectors, each under the restriction rule.
"""

from datetime import timedelta
from itertools import chain

from django.utils import timezone

from accounts.roles import Role, user_has_role
from index.models import RescoreRun
from index.selectors import methodology_current
from index.summaries import index_headline, index_trend_by_quarter
from ops.selectors import worker_status
from partnerships.choices import PartnershipStatus
from partnerships.models import OverlapRun, PartnershipEvent
from partnerships.selectors import (
    candidate_counts_by_week,
    candidate_visible_to,
    partnership_decisions_by_week,
    partnership_list_of_proposer,
    partnership_review_queue,
    partnership_visible_to,
)
from stakeholders.imports.selectors import import_kinds_for
from stakeholders.models import ImportJob
from stakeholders.selectors import (
    REGISTRY_CHANGE_KINDS,
    describe_change,
    outcome_list_by_stakes,
    registry_recent_changes,
    stakeholder_counts_by_kind,
    user_is_cleared,
)

TASKS_SHOWN = 5
FAILED_JOBS_SINCE = timedelta(days=7)


def my_tasks(user) -> dict:
    """Reviews waiting (reviewers), my drafts and proposals sent back (proposers), and the
    background jobs that failed recently that concern me."""
    tasks: dict = {"reviews": [], "reviews_total": 0, "drafts": [], "sent_back": [], "failed": []}
    if user_has_role(user, Role.REVIEWER):
        queue = partnership_review_queue(user)
        tasks["reviews"] = list(queue[:TASKS_SHOWN])
        tasks["reviews_total"] = queue.count()
    mine = partnership_list_of_proposer(user)
    tasks["drafts"] = list(mine.filter(status=PartnershipStatus.DRAFT)[:TASKS_SHOWN])
    tasks["sent_back"] = list(mine.filter(status=PartnershipStatus.SENT_BACK)[:TASKS_SHOWN])
    since = timezone.now() - FAILED_JOBS_SINCE
    failed = [
        {"what": f"Import of {job.original_filename}", "when": job.updated_at,
         "url": job.get_absolute_url(), "why": job.error_message or job.get_status_display()}
        for job in ImportJob.objects.filter(
            created_by=user, status=ImportJob.Status.FAILED, updated_at__gte=since
        )[:TASKS_SHOWN]
    ]  # fmt: skip
    if user_has_role(user, Role.PROGRAM_OFFICER, Role.ADMINISTRATOR):
        failed += [
            {"what": f"Overlap run #{run.pk}", "when": run.finished_at or run.updated_at,
             "url": run.get_absolute_url(), "why": run.error}
            for run in OverlapRun.objects.filter(
                status=OverlapRun.Status.FAILED, updated_at__gte=since
            )[:TASKS_SHOWN]
        ]  # fmt: skip
    if user_has_role(user, Role.ADMINISTRATOR):
        failed += [
            {"what": f"Rescoring under {run.methodology}",
             "when": run.finished_at or run.created_at, "url": run.get_absolute_url(),
             "why": run.error}
            for run in RescoreRun.objects.filter(
                status=RescoreRun.Status.FAILED, created_at__gte=since
            ).select_related("methodology")[:TASKS_SHOWN]
        ]  # fmt: skip
    tasks["failed"] = sorted(failed, key=lambda job: job["when"], reverse=True)
    tasks["count"] = (
        tasks["reviews_total"] + len(tasks["drafts"]) + len(tasks["sent_back"]) + len(failed)
    )
    return tasks


CHANGE_KINDS = (*REGISTRY_CHANGE_KINDS, "partnership")


def recent_activity(user, *, limit: int = 12, before=None, kinds=CHANGE_KINDS) -> list[dict]:
    """Registry changes, proposals and decisions this person may see, newest first (older than
    ``before`` if given; of the given ``kinds`` only). The home page shows the first few; the
    change log pages through them all."""
    records = registry_recent_changes(
        user=user, limit=limit, before=before, kinds=[k for k in kinds if k != "partnership"]
    )
    registry = [describe_change(record) for record in records]
    visible = partnership_visible_to(user).prefetch_related(None).order_by().values("pk")
    events = PartnershipEvent.objects.filter(partnership__in=visible)
    if before is not None:
        events = events.filter(created_at__lt=before)
    steps = [
        {
            "what": "partnership",
            "label": event.partnership.title,
            "verb": event.get_to_status_display().lower(),
            "who": event.actor,
            "when": event.created_at,
            "url": event.partnership.get_absolute_url(),
        }
        for event in (
            events.select_related("partnership", "actor").order_by("-created_at", "-id")[:limit]
            if "partnership" in kinds
            else []
        )
    ]
    return sorted(chain(registry, steps), key=lambda row: row["when"], reverse=True)[:limit]


SPARK_WIDTH, SPARK_HEIGHT, SPARK_PAD = 160, 36, 4


def sparkline(points: list[dict], *, from_zero: bool = False) -> dict:
    """The geometry of a small line chart of ``points`` (``value`` may be None: a gap, where the
    line breaks), scaled to the SVG box; ``from_zero`` for counts, whose scale starts at 0."""
    values = [point["value"] for point in points]
    known = [value for value in values if value is not None]
    shape = {"points": points, "width": SPARK_WIDTH, "height": SPARK_HEIGHT, "segments": [],
             "dots": [], "last": None, "has_data": bool(known)}  # fmt: skip
    if not known:
        return shape
    low = 0 if from_zero else min(known)
    high = max(known)
    span = (high - low) or 1
    step = (SPARK_WIDTH - 2 * SPARK_PAD) / max(len(values) - 1, 1)
    inner = SPARK_HEIGHT - 2 * SPARK_PAD
    segment: list[tuple[float, float]] = []
    for index, value in enumerate(values):
        if value is None:
            if segment:
                shape["segments"].append(segment)
            segment = []
            continue
        x = round(SPARK_PAD + index * step, 1)
        y = round(SPARK_PAD + inner - (value - low) / span * inner, 1)
        segment.append((x, y))
        shape["last"] = {"x": x, "y": y, "value": value, "label": points[index]["label"],
                         "n": points[index].get("n")}  # fmt: skip
    if segment:
        shape["segments"].append(segment)
    # A point with no neighbour would draw nothing as a line: it is drawn as a dot.
    shape["dots"] = [part[0] for part in shape["segments"] if len(part) == 1]
    shape["segments"] = [
        " ".join(f"{x},{y}" for x, y in part) for part in shape["segments"] if len(part) > 1
    ]
    return shape


def home_trends(user, methodology) -> list[dict]:
    """Three small trends for the home page, each computed over what ``user`` may see, with the
    figures behind it for a data table."""
    return [
        {
            "key": "index",
            "title": "Index composite by quarter",
            "unit": "average composite",
            "explain": "Average composite of the engagements that started in each quarter; "
            "a quarter without a scored engagement is a gap.",
            "shape": sparkline(index_trend_by_quarter(methodology=methodology, user=user)),
            "count_label": "engagements",
        },
        {
            "key": "candidates",
            "title": "Candidate pairs found, by week",
            "unit": "pairs",
            "explain": "What the last overlap run of each week found; a week without a run is a "
            "gap.",
            "shape": sparkline(candidate_counts_by_week(user=user), from_zero=True),
            "count_label": "",
        },
        {
            "key": "decisions",
            "title": "Proposals decided, by week",
            "unit": "decisions",
            "explain": "Proposals approved or declined each week.",
            "shape": sparkline(partnership_decisions_by_week(user=user), from_zero=True),
            "count_label": "",
        },
    ]


def home_context(user) -> dict:
    counts = stakeholder_counts_by_kind(user=user)
    total = sum(row["count"] for row in counts)
    methodology = methodology_current()
    headline = index_headline(methodology=methodology, user=user)
    return {
        "counts_by_kind": counts,
        "stakeholder_total": total,
        "empty_registry": total == 0,
        "top_outcomes": outcome_list_by_stakes(user=user, limit=10),
        "recent_activity": recent_activity(user),
        "tasks": my_tasks(user),
        "index_headline": headline,
        "methodology": methodology,
        "trends": home_trends(user, methodology),
        "newest_candidates": list(candidate_visible_to(user).filter(is_dismissed=False)[:5]),
        "is_cleared": user_is_cleared(user),
        "can_import": bool(import_kinds_for(user)),
        "is_administrator": user_has_role(user, Role.ADMINISTRATOR),
        "workers": worker_status() if user_has_role(user, Role.ADMINISTRATOR) else None,
    }
