"""Every door of the application, and what a response says once ids and noise are set aside.

* :func:`routes` enumerates every URL pattern from Django's resolver (app pages, the API, the
  admin) — not a hand list, so a page added tomorrow is walked tomorrow. Each route's path
  parameters are filled from ``PATH_PARAMETERS`` (or the admin's own registry); a route with a
  parameter nobody says how to fill fails the harness, naming it.
* :func:`query_variants` adds, to every list, the filters the API's OpenAPI schema documents for
  it (the pages use the same FilterSets), each with a visible, a hidden and a deleted actor.
* :class:`Labels` makes responses of two worlds comparable: every table's ids are drawn from a
  range of its own (:func:`id_ranges_assign`), so any number in a response that is an id can be
  recognised, whatever its context, and replaced by what it names (a stakeholder's name, a
  score's engagement and version, a history record's object and time…).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.apps import apps
from django.contrib import admin
from django.db import connection, models
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

RANGE = 10_000_000

# --- ids ------------------------------------------------------------------------------------------


def _sequenced_tables() -> list[tuple[str, str, str]]:
    """(table, column, sequence) of every table whose key comes from a sequence. A partitioned
    table (the candidates', by run: migration 0012) counts once, by its own name: its
    partitions draw their ids from its sequence and come and go with the runs."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, a.attname, pg_get_serial_sequence(quote_ident(c.relname), a.attname)"
            " FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition"
            " AND n.nspname = 'public' AND a.attnum > 0"
            " AND NOT a.attisdropped"
            " AND pg_get_serial_sequence(quote_ident(c.relname), a.attname) IS NOT NULL"
            " ORDER BY c.relname"
        )
        return cursor.fetchall()


def id_ranges_assign() -> dict[str, int]:
    """Give every table's next ids a range of its own (table i: (i + 1) · 10⁷ on). Returns the
    ranges' starts by table. Called before each world is built, so both draw the same ids in the
    same order of creation."""
    starts = {}
    with connection.cursor() as cursor:
        for index, (table, _column, sequence) in enumerate(_sequenced_tables()):
            start = (index + 1) * RANGE
            cursor.execute("SELECT setval(%s, %s, false)", [sequence, start])
            starts[table] = start
    return starts


def _models_by_table() -> dict[str, type[models.Model]]:
    return {m._meta.db_table: m for m in apps.get_models(include_auto_created=True)}


# --- labels ---------------------------------------------------------------------------------------

VOLATILE = {"created_at", "updated_at", "computed_at", "last_used_at", "timings", "secret",
            "secret_hash", "password", "last_login", "data", "result"}  # fmt: skip


def _label_fields(model) -> list:
    skipped = (models.JSONField, models.BinaryField, models.TextField)
    return [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key and f.name not in VOLATILE and not isinstance(f, skipped)
    ]


NAMED = {
    "stakeholders.stakeholder": "name",
    "stakeholders.outcome": "title",
    "stakeholders.sector": "code",
    "index.engagement": "title",
    "partnerships.partnership": "title",
    "accounts.user": "username",
    "accounts.partnertoken": "partner",
    "index.webhookendpoint": "url",
}
IDENTITY = {
    "index.score": ("engagement", "methodology"),
    "partnerships.candidate": ("stakeholder_a", "stakeholder_b"),
    "stakeholders.stake": ("stakeholder", "outcome"),
    "stakeholders.tie": ("from_stakeholder", "to_stakeholder", "kind"),
    "index.methodology": ("name", "version"),
    "index.engagementparticipant": ("engagement", "stakeholder"),
    "partnerships.partnershipmember": ("partnership", "stakeholder"),
    "graph.graphsnapshot": ("audience",),
    # A job is named by what it is the job of (its domain row's id is labelled in turn).
    "jobs.job": ("kind", "detail_key", "status", "started_by"),
    # A run's counts include what the audience may not see: it is named by when and who.
    "partnerships.overlaprun": ("trigger", "started_by", "snapshot_at"),
    "partnerships.coalition": ("key",),
    "partnerships.coalitioncomputation": ("outcome", "audience"),
    "partnerships.coalitionmember": ("coalition", "stakeholder"),
}


class Labels:
    """What each id of one world names (built after the world, read while walking it)."""

    def __init__(self, starts: dict[str, int]):
        self.by_table = _models_by_table()
        self.tables = sorted(starts, key=starts.get)
        self.starts = starts
        self._cache: dict[tuple[str, int], str] = {}
        self._rows: dict[str, dict[int, models.Model]] = {}

    # rows are read once per table, through the base manager: archived records too
    def _row(self, table: str, pk: int):
        if table not in self._rows:
            model = self.by_table[table]
            self._rows[table] = {row.pk: row for row in model._base_manager.all()}
        return self._rows[table].get(pk)

    def table_of(self, number: int) -> str | None:
        index = number // RANGE - 1
        if 0 <= index < len(self.tables) and number >= self.starts[self.tables[index]]:
            return self.tables[index]
        return None

    def label(self, number: int) -> str | None:
        table = self.table_of(number)
        if table is None:
            return None
        key = (table, number)
        if key not in self._cache:
            self._cache[key] = self._compute(table, number)
        return self._cache[key]

    def _compute(self, table: str, pk: int) -> str:
        model = self.by_table.get(table)
        row = self._row(table, pk) if model else None
        name = model._meta.label_lower if model else table
        if row is None:
            return f"<{name}:missing>"
        if name in NAMED:
            return f"<{name}:{getattr(row, NAMED[name])}>"
        fields = IDENTITY.get(name)
        if getattr(model, "instance_type", None) is not None:
            # A history record is its object at a moment (the clock is the same in both worlds).
            fields = ("id", "history_date")
        parts = []
        for field in _label_fields(model):
            if fields is not None and field.name not in fields:
                continue
            value = getattr(row, field.attname)
            if field.is_relation and value is not None:
                value = self.of_model(field.related_model, value)
            elif field.name == "id" and getattr(model, "instance_type", None) is not None:
                value = self.of_model(model.instance_type, value)  # a history record's object
            parts.append(f"{field.name}={value}")
        return f"<{name}:{', '.join(parts)}>"

    def of_model(self, model, pk) -> str:
        table = model._meta.db_table
        start = self.starts.get(table)
        if start is None:
            return f"{model._meta.label_lower}#{pk}"
        return self.label(int(pk)) or f"<{model._meta.label_lower}:?>"

    def ids_of(self, model) -> dict[str, int]:
        """Every row of ``model`` (archived ones too) by label."""
        table = model._meta.db_table
        rows = self._rows.get(table)
        if rows is None:
            self._row(table, 0)
            rows = self._rows[table]
        return {self.label(pk): pk for pk in rows}

    def missing_id(self, model, n: int = 0) -> int:
        return self.starts[model._meta.db_table] + RANGE - 1000 + n


# --- normalising a response --------------------------------------------------------------------

# Table i's ids start at (i + 1) · 10⁷: from the 100th table on they have ten digits.
ID_NUMBER = re.compile(r"(?<![\d.])(\d{8,10})(?![\d.])")
NOISE = [
    (
        re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"'),
        'name="csrfmiddlewaretoken" value=""',
    ),
    (re.compile(r'nonce="[^"]*"'), 'nonce=""'),
    (re.compile(r"cursor=[A-Za-z0-9%=_\-]+"), "cursor=<cursor>"),
    (re.compile(r'"csrfToken"\s*:\s*"[^"]*"'), '"csrfToken": ""'),
    # A second factor being set up: a fresh random secret each time.
    (re.compile(r'<div class="qr-code">.*?</div>', re.S), '<div class="qr-code"></div>'),
    (re.compile(r'<code class="otp-secret">[^<]*</code>'), '<code class="otp-secret"></code>'),
    # How long jobs took (timing class aside, as DESIGN.md says).
    (re.compile(r'"timings":\s*\{[^}]*\}'), '"timings":{}'),
    (re.compile(r'<td class="num">\d+\.\d+ s</td>'), '<td class="num">t s</td>'),
    (re.compile(r"\bin \d+\.\d+ s\b"), "in t s"),
]


# The one difference the rule knowingly allows (README, do no harm): when an actor that was public
# is restricted, the public coalitions it shaped are recomputed at that moment, so the time they
# say they were computed is that moment's. (Their contents are compared, and equal.)
COMPUTED_AT = [
    (re.compile(r"[Cc]omputed \d+ \w+ \d{4}, \d\d:\d\d UTC"), "computed <when> UTC"),
    (re.compile(r'"computed_at":"[^"]*"'), '"computed_at":"<when>"'),
]


def normalise(text: str, labels: Labels, *, requested: set[int], route: str = "") -> str:
    for pattern, replacement in NOISE:
        text = pattern.sub(replacement, text)
    if "coalition" in route or route.endswith("outcome_detail"):
        for pattern, replacement in COMPUTED_AT:
            text = pattern.sub(replacement, text)

    def replace(match):
        number = int(match.group(1))
        if number in requested:
            return "<requested>"
        return labels.label(number) or match.group(1)

    return ID_NUMBER.sub(replace, text)


# --- routes -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str  # namespaced URL name, e.g. "stakeholders:stakeholder_detail"
    pattern: str
    parameters: tuple[str, ...]  # path parameter names (or positions "0", "1" for admin regexes)


def routes() -> list[Route]:
    found = []

    def walk(resolver, prefix, namespace):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                ns = entry.namespace
                walk(
                    entry,
                    prefix + str(entry.pattern),
                    f"{namespace}:{ns}" if namespace and ns else (ns or namespace),
                )
            elif isinstance(entry, URLPattern):
                regex = entry.pattern.regex
                names = tuple(regex.groupindex) or tuple(str(i) for i in range(regex.groups))
                short = entry.name or f"<unnamed {prefix}{entry.pattern}>"
                name = f"{namespace}:{short}" if namespace else short
                found.append(
                    Route(name=name, pattern=prefix + str(entry.pattern), parameters=names)
                )

    walk(get_resolver(), "", None)
    return found


# How to fill each route's path parameters: a model (every row of it is tried, with a missing
# id), or a list of plain values. Candidate pairs and admin routes are filled by their own rules.
STAKEHOLDER, OUTCOME = "stakeholders.stakeholder", "stakeholders.outcome"
PATH_PARAMETERS: dict[str, dict[str, str | list[str]]] = {
    "accounts:token_revoke": {"pk": "accounts.partnertoken"},
    "accounts:saved_view_remove": {"pk": "accounts.savedview"},
    "stakeholder_imports:job_detail": {"pk": "stakeholders.importjob"},
    "stakeholder_imports:job_status": {"pk": "stakeholders.importjob"},
    "stakeholder_imports:job_apply": {"pk": "stakeholders.importjob"},
    "stakeholder_imports:template_download": {
        "kind": ["stakeholders", "outcomes", "stakes", "ties"]
    },
    "iati_import:job": {"token": ["not-a-job"]},
    "iati_import:job_status": {"token": ["not-a-job"]},
    "threew_import:job": {"token": ["not-a-job"]},
    "threew_import:job_map": {"token": ["not-a-job"]},
    "threew_import:job_status": {"token": ["not-a-job"]},
    "stakeholders-api:stakeholder-detail": {"pk": STAKEHOLDER},
    "stakeholders-api:outcome-detail": {"pk": OUTCOME},
    "stakeholders-api:stake-detail": {"pk": "stakeholders.stake"},
    "stakeholders-api:tie-detail": {"pk": "stakeholders.tie"},
    "partnerships-api:overlaprun-detail": {"pk": "partnerships.overlaprun"},
    "index-api:score-detail": {"pk": "index.score"},
    "index-api:webhook-detail": {"pk": "index.webhookendpoint"},
    "stakeholders:stakeholder_detail": {"pk": STAKEHOLDER},
    "stakeholders:stakeholder_update": {"pk": STAKEHOLDER},
    "stakeholders:stakeholder_delete": {"pk": STAKEHOLDER},
    "stakeholders:stakeholder_stake_add": {"pk": STAKEHOLDER},
    "stakeholders:stakeholder_tie_add": {"pk": STAKEHOLDER},
    "stakeholders:outcome_detail": {"pk": OUTCOME},
    "stakeholders:outcome_update": {"pk": OUTCOME},
    "stakeholders:outcome_delete": {"pk": OUTCOME},
    "stakeholders:outcome_promote": {"pk": OUTCOME},
    "stakeholders:outcome_stake_add": {"pk": OUTCOME},
    "stakeholders:merge_record_detail": {"pk": "stakeholders.mergerecord"},
    "stakeholders:merge_record_undo": {"pk": "stakeholders.mergerecord"},
    "stakeholders:stake_update": {"pk": "stakeholders.stake"},
    "stakeholders:stake_delete": {"pk": "stakeholders.stake"},
    "stakeholders:tie_update": {"pk": "stakeholders.tie"},
    "stakeholders:tie_delete": {"pk": "stakeholders.tie"},
    "partnerships:run_detail": {"pk": "partnerships.overlaprun"},
    # Every background run is a job row (smartdiplomacy.jobs): each one tried, as page links do.
    "jobs-api:job-detail": {"pk": "jobs.job"},
    "jobs-api:job-cancel": {"pk": "jobs.job"},
    "jobs:job_cancel": {"pk": "jobs.job"},
    "partnerships:run_status": {"pk": "partnerships.overlaprun"},
    "graph:export": {"fmt": ["csv", "gexf", "graphml", "json"]},
    # Saved views are named by a random slug; the world saves none, so the door is tried closed.
    "graph:saved_view": {"slug": ["no-such-view"]},
    "index:engagement_detail": {"pk": "index.engagement"},
    "index:engagement_update": {"pk": "index.engagement"},
    "index:methodology_version": {"pk": "index.methodology"},
    "index:methodology_copy": {"pk": "index.methodology"},
    "index:methodology_edit": {"pk": "index.methodology"},
    "index:methodology_publish": {"pk": "index.methodology"},
    "index:rescore_start": {"pk": "index.methodology"},
    "index:rescore_run_detail": {"pk": "index.rescorerun"},
    "index:rescore_run_status": {"pk": "index.rescorerun"},
    "index:webhook_partner": {"token_pk": "accounts.partnertoken"},
    "index:webhook_endpoint_create": {"token_pk": "accounts.partnertoken"},
    "index:webhook_endpoint_deactivate": {"pk": "index.webhookendpoint"},
    "index:webhook_delivery_detail": {"pk": "index.webhookdelivery"},
    # Coalitions are named by a key (a hash of their members and audience), not their row id.
    "partnerships:coalition_detail": {"key": "partnerships.coalition:key"},
    "partnerships:coalition_propose": {"key": "partnerships.coalition:key"},
    "partnerships-api:coalition-detail": {"key": "partnerships.coalition:key"},
    "partnerships-api:coalition-propose": {"key": "partnerships.coalition:key"},
    "relationships:interaction_detail": {"pk": "relationships.interaction"},
    "relationships:interaction_update": {"pk": "relationships.interaction"},
    "relationships:interaction_delete": {"pk": "relationships.interaction"},
    "relationships:interaction_promote": {"pk": "relationships.interaction"},
    "relationships:timeline": {"pk": STAKEHOLDER},
    "relationships:owner_set": {"pk": STAKEHOLDER},
    "relationships:follow_up_create": {"pk": STAKEHOLDER},
    "relationships:follow_up_done": {"pk": "relationships.followup"},
    "relationships-api:interaction-detail": {"pk": "relationships.interaction"},
    "relationships-api:followup-detail": {"pk": "relationships.followup"},
    "relationships-api:salience-detail": {"pk": "relationships.salienceassessment"},
    "relationships-api:outcome-positions": {"pk": OUTCOME},
}
# Pages that also answer as recorded on a past day (``?as_of=``): tried with the world's day, the
# day before it (not recorded yet), a day that is not one and a day after today.
AS_OF_ROUTES = {"stakeholders:stakeholder_detail", "stakeholders:outcome_detail"}
AS_OF_DAYS = ("2026-11-02", "2026-11-01", "2 Nov", "2026-11-03")
PARTNERSHIP_ROUTES = ("partnerships:partnership_", "partnerships-api:partnership-")
PAIR_ROUTES = {
    "partnerships:candidate_detail",
    "partnerships:candidate_dismiss",
    "partnerships:candidate_restore",
    "partnerships-api:candidate-detail",
}
# Routes that are not data: nothing to compare, or they end the session.
SKIPPED = {"accounts:logout", "admin:logout", "api-docs", "api-schema", "admin:jsi18n"}


# Patterns without a name (so without a way to reverse them) that are not data.
UNNAMED = {
    "<unnamed api/^>",  # DRF's format-suffix duplicate of the API root
    "admin:<unnamed admin/<path:object_id>/>",  # the admin's redirect to an object's change page
}


def parameter_rule(route: Route):
    """How to fill ``route``'s parameters: a dict name → model label or values, "pair",
    ("admin", model, action) or None if nobody says (the harness then fails)."""
    if "<unnamed " in route.name:
        return "skip" if any(route.name.endswith(u.split(":", 1)[-1]) for u in UNNAMED) else None
    if not route.parameters:
        return {}
    if route.name in PATH_PARAMETERS:
        return PATH_PARAMETERS[route.name]
    if route.name in PAIR_ROUTES:
        return "pair"
    if route.name.startswith(PARTNERSHIP_ROUTES) and route.parameters == ("pk",):
        return {"pk": "partnerships.partnership"}
    if route.name.startswith("admin:"):
        return _admin_rule(route)
    return None


def _admin_rule(route: Route):
    short = route.name.split(":", 1)[1] if route.name != "admin:None" else ""
    for model in admin.site._registry:
        prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
        if short.startswith(prefix):
            return ("admin", model, short[len(prefix) :])
    if route.name == "admin:app_list":
        return {"app_label": sorted({m._meta.app_label for m in admin.site._registry})}
    if route.name == "admin:view_on_site":
        return "view_on_site"
    if route.name in ("admin:None", "admin:password_reset_confirm"):
        return "skip"
    return None


def url_for(route: Route, kwargs: dict) -> str | None:
    try:
        if all(name.isdigit() for name in kwargs):
            return reverse(route.name, args=[kwargs[str(i)] for i in range(len(kwargs))])
        return reverse(route.name, kwargs=kwargs)
    except NoReverseMatch:
        return None
