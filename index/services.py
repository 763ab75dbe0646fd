"""Writes of the index: scores, rescoring runs, methodology versions (engagements:
``engagement_services``).

Each write validates fully and is atomic; rescoring is queued only after the transaction commits.
"""

import json
from collections.abc import Callable

from django.db import connection, models, transaction
from django.utils import timezone

from smartdiplomacy.bulk import copy_in, copy_rows_text, staging_table
from smartdiplomacy.exceptions import ApplicationError
from smartdiplomacy.services import UNSET, given_fields
from smartdiplomacy.tasks import enqueue_on_commit
from stakeholders.choices import Audience

from .jobs import (
    rescore_job_enqueue,
    rescore_job_finish,
    rescore_job_progress,
    rescore_job_start,
)
from .models import (
    Engagement,
    Methodology,
    RescoreRun,
    Score,
)
from .scoring import ScoreResult, score_engagement
from .selectors import engagement_facts_by_audience, scores_for_audience
from .webhooks.services import webhooks_queue_scores

RESCORE_BATCH = 1000

# A draft version's content; publishing goes through ``methodology_publish``, the version number
# is given when the version is made.
METHODOLOGY_FIELDS = ("name", "description", "indicators", "pillar_weights", "aggregation")


def _validated_save(instance):
    instance.full_clean()
    instance.save()
    return instance


# The values of a score, in the order rows are built and written.
SCORE_FIELDS = [
    "audience",
    "cleared_differs",
    "digital",
    "multi_stakeholder",
    "feminist",
    "composite",
    "completeness",
    "indicators",
    "inputs",
    "computed_at",
]
# What a score says; a row is rewritten (and its ``computed_at`` moved) only when these change.
SCORE_CONTENT = ["digital", "multi_stakeholder", "feminist", "composite", "completeness",
                 "indicators", "inputs"]  # fmt: skip


@transaction.atomic
def score_compute(*, engagement: Engagement, methodology: Methodology) -> Score:
    """Compute and store ``engagement``'s scores under ``methodology`` (both audiences, see
    ``Score``); returns the score cleared people read."""
    scores_compute_many(engagement_ids=[engagement.pk], methodology=methodology)
    return (
        scores_for_audience(Audience.CLEARED)
        .filter(engagement=engagement, methodology=methodology)
        .get()
    )


def _score_rows(engagement_id: int, facts: tuple, methodology_data: dict, now) -> list[tuple]:
    """An engagement's scores as plain rows ``(engagement_id, *SCORE_FIELDS)``: the public one,
    and the cleared one where restricted participants take part."""
    public_facts, cleared_facts = facts
    rows = [
        _score_row(
            engagement_id,
            score_engagement(public_facts, methodology_data),
            public_facts,
            audience=Audience.PUBLIC,
            cleared_differs=cleared_facts is not None,
            now=now,
        )
    ]
    if cleared_facts is not None:
        rows.append(
            _score_row(
                engagement_id,
                score_engagement(cleared_facts, methodology_data),
                cleared_facts,
                audience=Audience.CLEARED,
                cleared_differs=False,
                now=now,
            )
        )
    return rows


def _score_row(
    engagement_id: int, result: ScoreResult, facts, *, audience: str, cleared_differs: bool, now
) -> tuple:
    """One score as plain values in SCORE_FIELDS order (after the engagement id).

    ``inputs`` is what ``dataclasses.asdict(facts)`` gives, built without its deep copy: the
    facts are flat values and the participants three strings each.
    """
    inputs = {**facts.__dict__}
    inputs["participants"] = [
        {"kind": p.kind, "scope": p.scope, "role": p.role} for p in facts.participants
    ]
    return (
        engagement_id,
        audience,
        cleared_differs,
        result.digital,
        result.multi_stakeholder,
        result.feminist,
        result.composite,
        result.completeness,
        [indicator.as_dict() for indicator in result.indicators],
        inputs,
        now,
    )


def _scores_upsert(rows: list[tuple], methodology: Methodology, now) -> set[int]:
    """Write ``rows`` (from ``_score_rows``, every audience of each engagement) under
    ``methodology``; returns the engagements whose *public* score was created or changed.

    A stored row whose values are the same is left as it is (its ``computed_at`` too), so that
    what people not cleared read moves only when their own figures do; cleared rows no longer
    needed (no restricted participant left) are removed. On PostgreSQL the rows are COPYed into a
    temporary table and upserted from it in one statement (several times faster than a
    parameterised INSERT of 1,000 rows with JSON); elsewhere the same is done row by row.
    """
    if not rows:
        return set()
    # Bulk writes send no signal: the scores API's remembered answers are retired here.
    from .generation import scores_changed

    if connection.vendor != "postgresql":
        changed = _scores_upsert_portable(rows, methodology)
    else:
        changed = _scores_upsert_postgresql(rows, methodology, now)
    scores_changed()
    return changed


def _scores_upsert_portable(rows: list[tuple], methodology: Methodology) -> set[int]:
    engagement_ids = {row[0] for row in rows}
    stored = {
        (score.engagement_id, score.audience): score
        for score in Score.objects.filter(methodology=methodology, engagement_id__in=engagement_ids)
    }
    changed: set[int] = set()
    wanted = set()
    for row in rows:
        values = dict(zip(SCORE_FIELDS, row[1:], strict=True))
        key = (row[0], values["audience"])
        wanted.add(key)
        score = stored.get(key)
        content = {name: values[name] for name in SCORE_CONTENT}
        if score is None:
            Score.objects.create(engagement_id=row[0], methodology=methodology, **values)
        elif any(getattr(score, name) != value for name, value in content.items()):
            for name, value in values.items():
                setattr(score, name, value)
            score.save()
        elif score.cleared_differs != values["cleared_differs"]:
            score.cleared_differs = values["cleared_differs"]
            score.save(update_fields=["cleared_differs"])
            continue
        else:
            continue
        if values["audience"] == Audience.PUBLIC:
            changed.add(row[0])
    for key, score in stored.items():
        if key not in wanted:
            score.delete()
    return changed


def _score_column(name: str) -> str:
    field = Score._meta.get_field(name)
    assert isinstance(field, models.Field), name
    return field.column


def _scores_upsert_postgresql(rows: list[tuple], methodology: Methodology, now) -> set[int]:
    quote = connection.ops.quote_name
    table = quote(Score._meta.db_table)
    columns = [_score_column(name) for name in ("engagement", *SCORE_FIELDS)]
    listed = ", ".join(quote(column) for column in columns)
    json_at = {SCORE_FIELDS.index(name) + 1 for name in ("indicators", "inputs")}
    data = copy_rows_text(
        [json.dumps(value) if i in json_at else value for i, value in enumerate(row)]
        for row in rows
    )
    engagement, methodology_column, audience, differs, computed_at = (
        quote(_score_column(name))
        for name in ("engagement", "methodology", "audience", "cleared_differs", "computed_at")
    )
    content = [quote(_score_column(name)) for name in SCORE_CONTENT]
    stored = ", ".join(f"{table}.{column}" for column in content)
    incoming = ", ".join(f"EXCLUDED.{column}" for column in content)
    content_changed = f"({stored}) IS DISTINCT FROM ({incoming})"
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in content)
    with (
        connection.cursor() as cursor,
        staging_table(
            cursor, name="index_score_batch", like=Score._meta.db_table, columns=columns
        ) as batch,
    ):
        copy_in(cursor, table="index_score_batch", columns=columns, data=data)
        cursor.execute(
            f"INSERT INTO {table} ({listed}, {methodology_column}) "
            f"SELECT {listed}, %s FROM {batch} "
            f"ON CONFLICT ({engagement}, {methodology_column}, {audience}) "
            f"DO UPDATE SET {updates}, {differs} = EXCLUDED.{differs}, "
            f"{computed_at} = CASE WHEN {content_changed} THEN EXCLUDED.{computed_at} "
            f"ELSE {table}.{computed_at} END "
            f"WHERE {content_changed} OR {table}.{differs} <> EXCLUDED.{differs} "
            f"RETURNING {engagement}, {audience}, {computed_at} = %s",
            [methodology.pk, now],
        )
        changed = {
            engagement_id
            for engagement_id, row_audience, moved in cursor.fetchall()
            if moved and row_audience == Audience.PUBLIC
        }
        cursor.execute(
            f"DELETE FROM {table} WHERE {methodology_column} = %s AND {audience} = %s "
            f"AND {engagement} IN (SELECT {engagement} FROM {batch} "
            f"WHERE {audience} = %s AND NOT {differs})",
            [methodology.pk, Audience.CLEARED, Audience.PUBLIC],
        )
    return changed


def scores_compute_many(
    *,
    engagement_ids,
    methodology: Methodology,
    batch: int = RESCORE_BATCH,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Score many engagements under ``methodology``, a few queries per batch of ``batch``.

    Each batch is read, scored and written (upserted) in one transaction, so a failure part-way
    leaves every score either as it was or fully recomputed. Partner webhooks hear of the
    engagements whose public score changed. ``progress(n)`` is called after each batch with the
    number of engagements written so far. Returns how many were scored.
    """
    methodology_data = methodology.as_dict()
    ids = sorted(set(engagement_ids))
    written = 0
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        with transaction.atomic():
            now = timezone.now()
            facts = engagement_facts_by_audience(chunk)
            rows = [
                row
                for engagement_id in chunk
                if engagement_id in facts
                for row in _score_rows(engagement_id, facts[engagement_id], methodology_data, now)
            ]
            changed = _scores_upsert(rows, methodology, now)
            webhooks_queue_scores(engagement_ids=changed, methodology=methodology)
            scored = sum(1 for engagement_id in chunk if engagement_id in facts)
        written += scored
        if progress is not None:
            progress(written)
    return written


def methodology_rescore_all(
    *, methodology: Methodology, batch: int = RESCORE_BATCH, run: RescoreRun | None = None
) -> int:
    """Score every engagement under ``methodology``; ``run`` (if given) records the progress."""
    ids = list(Engagement.objects.order_by("pk").values_list("pk", flat=True))
    if run is None:
        return scores_compute_many(engagement_ids=ids, methodology=methodology, batch=batch)
    RescoreRun.objects.filter(pk=run.pk).update(
        status=RescoreRun.Status.RUNNING,
        total=len(ids),
        done=0,
        error="",
        started_at=timezone.now(),
        finished_at=None,
    )
    rescore_job_start(run_id=run.pk, total=len(ids))

    def progress(done: int) -> None:
        RescoreRun.objects.filter(pk=run.pk).update(done=done)
        rescore_job_progress(run_id=run.pk, done=done)

    try:
        written = scores_compute_many(
            engagement_ids=ids, methodology=methodology, batch=batch, progress=progress
        )
    except Exception as error:
        RescoreRun.objects.filter(pk=run.pk).update(
            status=RescoreRun.Status.FAILED,
            error=f"{type(error).__name__}: {error}",
            finished_at=timezone.now(),
        )
        rescore_job_finish(run_id=run.pk, error=f"{type(error).__name__}: {error}")
        raise
    RescoreRun.objects.filter(pk=run.pk).update(
        status=RescoreRun.Status.DONE, done=written, total=written, finished_at=timezone.now()
    )
    rescore_job_finish(run_id=run.pk)
    return written


@transaction.atomic
def rescore_run_start(*, methodology: Methodology, user=None) -> RescoreRun:
    """Queue a bulk rescoring of every engagement under a published ``methodology``.

    While a run for this version is queued or running, that run is returned instead of a second.
    """
    if not methodology.published:
        raise ApplicationError("Only a published methodology version can score engagements.")
    Methodology.objects.select_for_update().filter(pk=methodology.pk).first()
    active = (
        RescoreRun.objects.filter(
            methodology=methodology,
            status__in=[RescoreRun.Status.QUEUED, RescoreRun.Status.RUNNING],
        )
        .order_by("-pk")
        .first()
    )
    if active is not None:
        return active
    run = RescoreRun.objects.create(
        methodology=methodology, started_by=user if getattr(user, "pk", None) else None
    )
    rescore_job_enqueue(run_id=run.pk, user=run.started_by)
    from .tasks import rescore_run_execute

    enqueue_on_commit(rescore_run_execute, run.pk)
    return run


@transaction.atomic
def methodology_copy(*, methodology: Methodology, name: str | None = None) -> Methodology:
    """A new, unpublished version copying ``methodology``'s indicators and weights."""
    name = name or methodology.name
    last = (
        Methodology.objects.select_for_update()
        .filter(name=name)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    return _validated_save(
        Methodology(
            name=name,
            version=(last or 0) + 1,
            published=False,
            description=methodology.description,
            indicators=methodology.indicators,
            pillar_weights=methodology.pillar_weights,
            aggregation=methodology.aggregation,
        )
    )


def _check_methodology(methodology: Methodology) -> None:
    from .scoring import INDICATOR_VALUES, PILLARS

    for spec in methodology.indicators:
        code = spec.get("code")
        if code not in INDICATOR_VALUES:
            raise ApplicationError(f"Unknown indicator {code!r}.", "indicators")
        if spec.get("pillar") not in PILLARS:
            raise ApplicationError(f"Indicator {code} has an unknown pillar.", "indicators")
        low, high = spec.get("goalposts", (None, None))
        if not isinstance(low, int | float) or not isinstance(high, int | float) or high <= low:
            raise ApplicationError(
                f"Indicator {code}'s goalposts must be two numbers, low below high.", "indicators"
            )
        if not isinstance(spec.get("weight"), int | float) or spec["weight"] < 0:
            raise ApplicationError(f"Indicator {code}'s weight must be 0 or more.", "indicators")
    if set(methodology.pillar_weights) - set(PILLARS) or any(
        not isinstance(w, int | float) or w < 0 for w in methodology.pillar_weights.values()
    ):
        raise ApplicationError(
            "Pillar weights must name digital, multi_stakeholder or feminist, each 0 or more.",
            "pillar_weights",
        )


@transaction.atomic
def methodology_update(
    *,
    methodology: Methodology,
    name: str = UNSET,
    description: str = UNSET,
    indicators: list[dict] = UNSET,
    pillar_weights: dict[str, float] = UNSET,
    aggregation: str = UNSET,
) -> Methodology:
    """Edit an unpublished version (published versions refuse in ``Methodology.save``)."""
    fields = given_fields(locals(), METHODOLOGY_FIELDS)
    if methodology.published:
        raise ApplicationError(
            "A published methodology version cannot be changed; copy it to a new version."
        )
    for field, value in fields.items():
        setattr(methodology, field, value)
    _check_methodology(methodology)
    return _validated_save(methodology)


@transaction.atomic
def methodology_publish(*, methodology: Methodology, user=None) -> Methodology:
    """Publish (and so freeze) a version, then rescore every engagement under it in bulk."""
    if methodology.published:
        raise ApplicationError("This methodology version is already published.")
    _check_methodology(methodology)
    methodology.published = True
    methodology.published_at = timezone.now()
    # Saved by queryset update: the model's save refuses changes to published rows.
    Methodology.objects.filter(pk=methodology.pk).update(
        published=True, published_at=methodology.published_at
    )
    from .generation import scores_changed

    scores_changed()  # the summary's default version is the newest published one
    rescore_run_start(methodology=methodology, user=user)
    return methodology
