# ruff: noqa: E501  (the scenario's tables read best one record a line)
"""Two registries that differ only by the hidden actors: the counterfactual pair the harness
compares (DESIGN.md, do no harm).

``build_world(hidden=True)`` weaves restricted and confidential actors into a small registry:
stakes in shared outcomes, ties, engagement participations, a partnership that exists only for
cleared people and one they are a member of, a hidden parent, a public actor later restricted, a
restricted actor later made public, an identifier only a hidden actor holds, and deletions by
people not cleared of records that hold hidden ones. ``build_world(hidden=False)`` builds the
same registry as if those actors, and everything derived from them, had never existed. Both run
the same steps on the same clock (a hidden step is a no-op without them, but takes its minute),
and the product's own jobs derive what they derive: scores, candidates, graph metrics, webhook
deliveries, e-mails.
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass, field
from types import SimpleNamespace
from unittest import mock

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.core import mail

from accounts.models import TokenScope, User
from accounts.services import token_issue
from graph.services import graph_snapshots_refresh
from iati.kind_services import kind_override_set
from iati.models import IatiActivity
from index import engagement_services
from index import services as index_services
from index.models import Methodology
from index.webhooks import protocol
from index.webhooks import services as webhook_services
from partnerships import workflow
from partnerships.models import PartnershipStatus
from partnerships.overlap.runs import overlap_run_request
from relationships import services as relationships
from stakeholders import services as registry
from stakeholders.choices import Capability, Kind, Scope, Sensitivity, Theme, TieKind
from stakeholders.duplicates import duplicate_dismiss
from stakeholders.left_stakes import left_stake_decide, left_stakes_visible_to
from stakeholders.merging import stakeholder_merge
from stakeholders.models import Sector, Stakeholder
from stakeholders.outcome_merging import outcome_merge

START = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)
TOKEN_PLAINTEXT = "sd_harness0.harness-secret-not-random-0123456789abcdefghijkl"
C = Capability


@dataclass
class World:
    hidden: bool
    users: dict[str, User] = field(default_factory=dict)
    token: str = TOKEN_PLAINTEXT
    actors: dict[str, Stakeholder] = field(default_factory=dict)
    outcomes: dict = field(default_factory=dict)
    engagements: dict = field(default_factory=dict)
    partnerships: dict = field(default_factory=dict)
    webhook_bodies: list[bytes] = field(default_factory=list)
    mails: list = field(default_factory=list)
    token_row: object = None


class _Deterministic:
    """``secrets`` as the token and webhook services use it, without randomness."""

    def __init__(self):
        self.counter = 0

    def token_hex(self, n=16):
        self.counter += 1
        return f"{self.counter:0{2 * n}x}"[-2 * n :]

    def token_urlsafe(self, n=32):
        self.counter += 1
        return f"harness-secret-{self.counter:04d}".ljust(n, "x")

    def compare_digest(self, a, b):
        return secrets.compare_digest(a, b)


# --- the actors -----------------------------------------------------------------------------------

VISIBLE = [
    # key, name, kind, country, scope, capabilities
    ("state", "Republic of Mali", Kind.STATE, "ML", Scope.NATIONAL, C.FUNDING | C.SECURITY | C.LEGAL),
    ("igo", "Sahel Union", Kind.IGO, "NE", Scope.REGIONAL, C.FUNDING | C.CONVENING),
    ("ngo", "Relief Mali", Kind.NGO, "ML", Scope.NATIONAL, C.FIELD_PRESENCE | C.LOGISTICS),
    ("firm", "Sahel Telecom", Kind.FIRM, "SN", Scope.REGIONAL, C.TECHNOLOGY | C.FUNDING),
    ("diaspora", "Malian Diaspora UK", Kind.DIASPORA, "GB", Scope.GLOBAL, C.FUNDING | C.MEDIA_REACH),
    ("women", "Bamako Women's Forum", Kind.WOMENS_GROUP, "ML", Scope.LOCAL, C.COMMUNITY_TRUST | C.CONVENING),
    ("foundation", "Open Sahel Foundation", Kind.FOUNDATION, "US", Scope.GLOBAL, C.FUNDING),
    ("media", "Radio Kayes", Kind.MEDIA, "ML", Scope.LOCAL, C.MEDIA_REACH),
    ("academic", "Sahel Policy Institute", Kind.ACADEMIC, "SN", Scope.REGIONAL, C.RESEARCH_DATA),
    ("youth", "Youth for Peace Mopti", Kind.GRASSROOTS, "ML", Scope.LOCAL, C.COMMUNITY_TRUST | C.FIELD_PRESENCE),
    ("office", "Relief Mali Kidal office", Kind.NGO, "ML", Scope.LOCAL, C.FIELD_PRESENCE),
]  # fmt: skip

HIDDEN = [
    ("h_women", "Gao Women Mediators", Kind.WOMENS_GROUP, "ML", Scope.LOCAL,
     C.COMMUNITY_TRUST | C.LEGAL, Sensitivity.RESTRICTED),
    ("h_diaspora", "Tuareg Diaspora Network", Kind.DIASPORA, "FR", Scope.GLOBAL,
     C.FUNDING | C.MEDIA_REACH, Sensitivity.CONFIDENTIAL),
    ("h_militia", "Kidal Self-Defence Committee", Kind.GRASSROOTS, "ML", Scope.LOCAL,
     C.SECURITY | C.FIELD_PRESENCE, Sensitivity.RESTRICTED),
]  # fmt: skip

OUTCOMES = [
    ("water", "Water security in the Sahel", Theme.CLIMATE_SECURITY, C.FUNDING | C.TECHNOLOGY | C.COMMUNITY_TRUST),
    ("protection", "Protection of displaced women in Mali", Theme.DISPLACEMENT, C.LEGAL | C.COMMUNITY_TRUST | C.FIELD_PRESENCE),
    ("recruitment", "Countering online recruitment", Theme.VIOLENT_EXTREMISM, C.TECHNOLOGY | C.MEDIA_REACH),
    ("displacement", "Climate-driven displacement", Theme.CLIMATE_SECURITY, C.FUNDING | C.LOGISTICS),
    ("kidal", "Reconstruction of Kidal", Theme.RECONSTRUCTION, C.FUNDING | C.SECURITY | C.FIELD_PRESENCE),
]  # fmt: skip

VISIBLE_STAKES = [
    # actor, outcome, interest, influence
    ("state", "water", 0.6, 0.9), ("state", "kidal", 0.8, 0.9), ("state", "displacement", 0.4, 0.8),
    ("igo", "water", 0.7, 0.7), ("igo", "displacement", 0.8, 0.6), ("igo", "recruitment", 0.3, 0.5),
    ("ngo", "water", 0.9, 0.4), ("ngo", "protection", 0.8, 0.4), ("ngo", "kidal", 0.6, 0.3),
    ("firm", "water", 0.5, 0.6), ("firm", "recruitment", 0.9, 0.5),
    ("diaspora", "protection", 0.6, 0.3), ("diaspora", "recruitment", 0.7, 0.4),
    ("women", "protection", 1.0, 0.3), ("women", "water", 0.7, 0.2),
    ("foundation", "displacement", 0.6, 0.5), ("foundation", "protection", 0.5, 0.5),
    ("media", "recruitment", 0.8, 0.4), ("media", "kidal", 0.4, 0.2),
    ("academic", "displacement", 0.7, 0.3), ("academic", "water", 0.5, 0.3),
    ("youth", "kidal", 0.9, 0.2), ("youth", "recruitment", 0.6, 0.2),
    ("office", "kidal", 0.7, 0.2),
]  # fmt: skip

HIDDEN_STAKES = [
    ("h_women", "protection", 1.0, 0.4), ("h_women", "water", 0.8, 0.3), ("h_women", "kidal", 0.6, 0.2),
    ("h_diaspora", "protection", 0.7, 0.4), ("h_diaspora", "recruitment", 0.9, 0.5),
    ("h_militia", "kidal", 1.0, 0.6),
]  # fmt: skip

VISIBLE_TIES = [
    ("igo", "state", TieKind.FUNDS), ("foundation", "ngo", TieKind.FUNDS),
    ("ngo", "women", TieKind.PARTNERS_WITH), ("office", "ngo", TieKind.MEMBER_OF),
    ("media", "youth", TieKind.COMMUNICATES_WITH),
]  # fmt: skip

HIDDEN_TIES = [
    ("h_women", "women", TieKind.PARTNERS_WITH), ("h_diaspora", "diaspora", TieKind.COMMUNICATES_WITH),
    ("h_diaspora", "media", TieKind.FUNDS), ("h_militia", "youth", TieKind.OPPOSES),
]  # fmt: skip


# Places on the map (area, latitude, longitude): a hidden actor alone in its country (France) and
# one beside a visible actor in Mali, and the public actor restricted later, so that the map's
# features, clusters, country counts and shading are checked against the world without them.
PLACES = {
    "women": ("Bamako", 12.64, -8.0),
    "h_women": ("Gao", 16.27, -0.04),
    "h_diaspora": ("Île-de-France", 48.86, 2.44),
    "turned": ("Mopti", 14.49, -4.2),
}


def _place(key: str) -> dict:
    if key not in PLACES:
        return {}
    area, latitude, longitude = PLACES[key]
    return {"subnational_area": area, "latitude": latitude, "longitude": longitude}


# --- building -------------------------------------------------------------------------------------


def _user(username: str, role: str | None, *, staff=False, cleared=False) -> User:
    user = User.objects.create_user(
        username=username,
        password=None,
        email=f"{username}@example.org",
        first_name=username.split(".")[0].capitalize(),
        last_name="Harness",
        is_staff=staff,
    )
    # The same hash in both worlds (a random salt would differ on the admin's user page).
    user.password = make_password("correct-horse-battery", salt="harnesssalt")
    user.save(update_fields=["password"])
    if role:
        user.groups.add(Group.objects.get(name=role))
    if cleared:
        user.user_permissions.add(
            Permission.objects.get(
                content_type__app_label="stakeholders", codename="view_restricted_stakeholder"
            )
        )
    return user


def build_world(*, hidden: bool, clock, run_on_commit) -> World:
    """Build one world. ``clock`` is a time-machine traveller (moved a minute per step);
    ``run_on_commit`` is pytest-django's ``django_capture_on_commit_callbacks`` (the work queued
    on commit — rescoring, refreshes, webhooks — runs at the end of each step, as in production)."""
    world = World(hidden=hidden)
    deterministic = _Deterministic()
    delivered: list[bytes] = []

    def post(url, *, body, headers, **kwargs):
        delivered.append(body)
        return protocol.PostResult(200, "")

    patches = [
        mock.patch("accounts.services.secrets", deterministic),
        mock.patch("index.webhooks.protocol.secrets", deterministic),
        mock.patch("index.webhooks.protocol.post", post),
    ]
    for patch in patches:
        patch.start()
    try:
        _steps(world, hidden=hidden, clock=clock, run_on_commit=run_on_commit)
    finally:
        for patch in patches:
            patch.stop()
    world.webhook_bodies = delivered
    world.mails = [
        SimpleNamespace(to=sorted(m.to), subject=m.subject, body=m.body) for m in mail.outbox
    ]
    return world


def _steps(world: World, *, hidden: bool, clock, run_on_commit) -> None:
    def step():
        clock.shift(datetime.timedelta(minutes=1))
        return run_on_commit(execute=True)

    users = world.users
    with step():
        users["officer"] = _user("officer", "program officer")
        users["reviewer"] = _user("reviewer", "reviewer")
        users["analyst"] = _user("analyst", "analyst")
        users["admin"] = _user("admin", "administrator", staff=True)
        users["cleared"] = _user("officer.cleared", "program officer", cleared=True)
        users["cleared_reviewer"] = _user("reviewer.cleared", "reviewer", cleared=True)
        issued = token_issue(
            partner="Partner portal",
            created_by=users["admin"],
            scopes=[s.value for s in TokenScope],
        )
        # The same token in both worlds, so the partner's requests are the same.
        prefix, secret = TOKEN_PLAINTEXT.split(".", 1)
        issued.token.prefix = prefix
        issued.token.secret_hash = type(issued.token).hash_secret(secret)
        issued.token.save()
        world.token_row = issued.token
        webhook_services.webhook_endpoint_create(
            token=issued.token, url="https://partner.example.org/hooks/sdi", created_by=None
        )
    with step():
        sectors = {
            "15170": Sector.objects.get_or_create(
                code="15170", defaults={"name": "Women's rights organisations"}
            )[0],
            "15220": Sector.objects.get_or_create(
                code="15220", defaults={"name": "Civilian peace-building"}
            )[0],
        }
        for key, name, kind, country, scope, caps in VISIBLE:
            world.actors[key] = registry.stakeholder_create(
                name=name,
                kind=kind,
                country=country,
                scope=scope,
                capabilities=caps,
                country_of_origin="ML" if kind == Kind.DIASPORA else "",
                women_led=kind == Kind.WOMENS_GROUP,
                sectors=[sectors["15220"]] if kind != Kind.WOMENS_GROUP else [sectors["15170"]],
                description=f"{name}: a harness actor.",
                **_place(key),
            )
    with step():
        if hidden:
            for key, name, kind, country, scope, caps, sensitivity in HIDDEN:
                world.actors[key] = registry.stakeholder_create(
                    name=name,
                    kind=kind,
                    country=country,
                    scope=scope,
                    capabilities=caps,
                    sensitivity=sensitivity,
                    country_of_origin="ML" if kind == Kind.DIASPORA else "",
                    women_led=kind == Kind.WOMENS_GROUP,
                    external_ids={"iati_org": "XM-HARNESS-77"} if key == "h_militia" else None,
                    sectors=[sectors["15170"]],
                    **_place(key),
                )
            # A public actor that will be restricted later: its public past must vanish too.
            world.actors["turned"] = registry.stakeholder_create(
                name="Former Open Coalition", kind=Kind.NGO, country="ML", **_place("turned")
            )
            # A restricted actor made public later: for the others it begins then.
            world.actors["declassified"] = registry.stakeholder_create(
                name="Niger Delta Peace Trust",
                kind=Kind.FOUNDATION,
                country="NE",
                sensitivity=Sensitivity.RESTRICTED,
                capabilities=C.FUNDING,
            )
    with step():
        for key, title, theme, needs in OUTCOMES:
            world.outcomes[key] = registry.outcome_create(
                title=title, theme=theme, needed_capabilities=needs, geography="the Sahel"
            )
    with step():
        for actor, outcome, interest, influence in VISIBLE_STAKES:
            registry.stake_create(
                stakeholder=world.actors[actor],
                outcome=world.outcomes[outcome],
                interest=interest,
                influence=influence,
            )
        for a, b, kind in VISIBLE_TIES:
            registry.tie_create(
                from_stakeholder=world.actors[a], to_stakeholder=world.actors[b], kind=kind
            )
    with step():
        if hidden:
            for actor, outcome, interest, influence in HIDDEN_STAKES:
                registry.stake_create(
                    stakeholder=world.actors[actor],
                    outcome=world.outcomes[outcome],
                    interest=interest,
                    influence=influence,
                )
            registry.stake_create(
                stakeholder=world.actors["turned"],
                outcome=world.outcomes["water"],
                interest=0.9,
                influence=0.9,
            )
            for a, b, kind in HIDDEN_TIES:
                registry.tie_create(
                    from_stakeholder=world.actors[a], to_stakeholder=world.actors[b], kind=kind
                )
            registry.tie_create(
                from_stakeholder=world.actors["turned"],
                to_stakeholder=world.actors["ngo"],
                kind=TieKind.PARTNERS_WITH,
            )
            # Logged while "turned" was public, by the uncleared officer: hidden from them once
            # it is restricted (its interaction, follow-up and reminder with it).
            relationships.interaction_create(
                user=users["officer"], kind="visit", date=datetime.date(2026, 10, 28),
                stakeholders=[world.actors["turned"], world.actors["ngo"]],
                notes="Visit to the Former Open Coalition's office", sentiment=1,
            )  # fmt: skip
            relationships.follow_up_create(
                user=users["officer"], stakeholder=world.actors["turned"],
                title="Send the coalition our terms", due_date=datetime.date(2026, 10, 31),
                owner=users["officer"],
            )  # fmt: skip
            # Salience and a stake re-assessment of "turned" while public (gone for the
            # uncleared once it is restricted), and of "declassified" while still restricted
            # (never theirs: for them it begins when made public).
            relationships.salience_assess(
                user=users["officer"], stakeholder=world.actors["turned"],
                outcome=world.outcomes["water"], power=3, legitimacy=3, urgency=2,
                assessed_on=datetime.date(2026, 9, 1),
            )  # fmt: skip
            registry.stake_update(
                stake=world.actors["turned"].stakes.get(), position="opposes",
                assessed_on=datetime.date(2026, 10, 1), notes="Walked out of the talks",
            )  # fmt: skip
            relationships.salience_assess(
                user=users["cleared"], stakeholder=world.actors["declassified"],
                outcome=world.outcomes["displacement"], power=3, legitimacy=0, urgency=3,
                assessed_on=datetime.date(2026, 10, 15),
            )  # fmt: skip
    with step():
        # A parent, public (a public actor cannot sit under a hidden one: the link would show).
        registry.stakeholder_update(stakeholder=world.actors["office"], parent=world.actors["ngo"])
    with step():
        if hidden:
            registry.stakeholder_update(
                stakeholder=world.actors["turned"], sensitivity=Sensitivity.CONFIDENTIAL
            )
    with step():
        if hidden:
            registry.stakeholder_update(
                stakeholder=world.actors["declassified"], sensitivity=Sensitivity.PUBLIC
            )
        else:
            world.actors["declassified"] = registry.stakeholder_create(
                name="Niger Delta Peace Trust",
                kind=Kind.FOUNDATION,
                country="NE",
                capabilities=C.FUNDING,
            )
    with step():
        registry.stake_create(
            stakeholder=world.actors["declassified"],
            outcome=world.outcomes["displacement"],
            interest=0.8,
            influence=0.7,
        )
    _engagements(world, hidden=hidden, step=step)
    _partnerships(world, hidden=hidden, step=step)
    _relationships(world, hidden=hidden, step=step)
    _over_time(world, hidden=hidden, step=step)
    with step():
        # An identifier only a hidden actor holds: the uncleared officer's write goes through.
        registry.stakeholder_external_ids_set(
            stakeholder=world.actors["ngo"],
            external_ids={"iati_org": "XM-HARNESS-77"},
            user=users["officer"],
        )
    _duplicates(world, hidden=hidden, step=step)
    with step():
        _iati(world, hidden=hidden)
    _provenance(world, hidden=hidden, step=step)
    _outcome_merges(world, hidden=hidden, step=step)
    with step():
        methodology = Methodology.objects.get(published=True)
        index_services.methodology_rescore_all(methodology=methodology)
    with step():
        # A short list per actor, so that a hidden partner would push visible ones out of it.
        overlap_run_request(user=users["admin"], parameters={"top_k": 2, "shortlist": 4})
    with step():
        graph_snapshots_refresh()
    with step():
        # Deletions by someone not cleared of records that hold hidden ones.
        registry.stakeholder_delete(stakeholder=world.actors["media"], user=users["officer"])
        registry.outcome_delete(outcome=world.outcomes["kidal"], user=users["officer"])
    with step():
        graph_snapshots_refresh()
    with step():
        # The daily reminders, after the deletions: overdue follow-ups, each told to its owner
        # only while they may still see it.
        relationships.follow_up_reminders_send()
    with step():
        # Late edits after every job has run: a visible stake re-assessed and a visible tie ended
        # in both worlds, and in the hidden one a hidden stake re-assessed and a tie to a hidden
        # actor ended. What the hidden edits set off (refreshes of candidates, coalitions, graph
        # metrics, queued tasks) must leave nothing the uncleared can tell apart.
        stake = world.actors["ngo"].stakes.get(outcome=world.outcomes["water"])
        registry.stake_update(
            stake=stake, position="supports", assessed_on=datetime.date(2026, 11, 1)
        )
        tie = world.actors["foundation"].ties_out.get(to_stakeholder=world.actors["ngo"])
        registry.tie_update(tie=tie, end_date=datetime.date(2026, 11, 1))
        if hidden:
            stake = world.actors["h_women"].stakes.get(outcome=world.outcomes["water"])
            registry.stake_update(stake=stake, interest=0.3, assessed_on=datetime.date(2026, 11, 1))
            tie = world.actors["h_women"].ties_out.get(to_stakeholder=world.actors["women"])
            registry.tie_update(tie=tie, end_date=datetime.date(2026, 11, 1))


def _relationships(world: World, *, hidden: bool, step) -> None:
    """Interactions, owners and follow-ups: visible ones in both worlds (one with an actor the
    uncleared officer deletes later), and, with the hidden actors, interactions with them, one
    about the partnership that exists only through them, and follow-ups from those."""
    a, users = world.actors, world.users
    officer, cleared = users["officer"], users["cleared"]
    with step():
        water_meeting = relationships.interaction_create(
            user=officer, kind="meeting", date=datetime.date(2026, 10, 20),
            stakeholders=[a["ngo"], a["women"]], outcomes=[world.outcomes["water"]],
            our_people=[officer], notes="Water points: the forum's list of sites", sentiment=1,
        )  # fmt: skip
        relationships.interaction_create(
            user=cleared, kind="call", date=datetime.date(2026, 10, 22), stakeholders=[a["firm"]],
            partnership=world.partnerships["water"], notes="Mobile payments pilot", sentiment=0,
        )  # fmt: skip
        relationships.interaction_create(
            user=officer, kind="event", date=datetime.date(2026, 10, 25),
            stakeholders=[a["media"], a["youth"]], outcomes=[world.outcomes["kidal"]],
            notes="Radio debate on recruitment", sentiment=-1,
        )  # fmt: skip
        relationships.interaction_create(
            user=cleared, kind="email", date=datetime.date(2026, 10, 26),
            stakeholders=[a["igo"]], partnership=world.partnerships["protection"],
            notes="The fund's call for proposals",
        )  # fmt: skip
        relationships.follow_up_create(
            user=officer, stakeholder=a["ngo"], title="Share the site list",
            due_date=datetime.date(2026, 10, 30), owner=officer, interaction=water_meeting,
        )  # fmt: skip
        relationships.follow_up_create(
            user=officer, stakeholder=a["women"], title="Invite to the forum",
            due_date=datetime.date(2026, 12, 1), owner=officer,
        )  # fmt: skip
        relationships.stakeholder_owner_set(stakeholder=a["state"], owner=officer, user=officer)
    with step():
        if hidden:
            mediators = relationships.interaction_create(
                user=cleared, kind="meeting", date=datetime.date(2026, 10, 21),
                stakeholders=[a["women"], a["h_women"]], outcomes=[world.outcomes["protection"]],
                our_people=[cleared], notes="Met the Gao mediators", sentiment=2,
            )  # fmt: skip
            relationships.interaction_create(
                user=cleared, kind="call", date=datetime.date(2026, 10, 23),
                stakeholders=[a["media"], a["h_diaspora"]], notes="Tuareg network on the radio",
            )  # fmt: skip
            relationships.interaction_create(
                user=cleared, kind="visit", date=datetime.date(2026, 10, 24),
                stakeholders=[a["women"]], partnership=world.partnerships["mediation"],
                notes="Mediation network site visit",
            )  # fmt: skip
            # From a hidden interaction, about a visible actor, for the cleared officer.
            relationships.follow_up_create(
                user=cleared, stakeholder=a["women"], title="Follow the mediators' request",
                due_date=datetime.date(2026, 10, 29), owner=cleared, interaction=mediators,
            )  # fmt: skip
            relationships.follow_up_create(
                user=cleared, stakeholder=a["h_women"], title="Plan a safe venue",
                due_date=datetime.date(2026, 10, 29), owner=cleared,
            )  # fmt: skip
            relationships.stakeholder_owner_set(
                stakeholder=a["h_women"], owner=cleared, user=cleared
            )


def _over_time(world: World, *, hidden: bool, step) -> None:
    """Salience assessments (with a re-assessment) and dated stake re-assessments: of visible
    actors in both worlds (one of an actor the uncleared officer deletes later, one in an outcome
    they delete), and of hidden actors in shared outcomes, which no salience count, chart or
    "who moved" may betray."""
    a, o, users = world.actors, world.outcomes, world.users
    officer, cleared = users["officer"], users["cleared"]

    def restake(actor, outcome, **fields):
        stake = a[actor].stakes.get(outcome=o[outcome])
        registry.stake_update(stake=stake, **fields)

    with step():
        for actor, outcome, p, lg, u, day in [
            ("state", "water", 3, 2, 1, datetime.date(2026, 6, 1)),
            ("ngo", "water", 1, 3, 2, datetime.date(2026, 6, 1)),
            ("ngo", "water", 2, 3, 3, datetime.date(2026, 10, 1)),
            ("women", "protection", 1, 3, 3, datetime.date(2026, 7, 1)),
            ("media", "recruitment", 2, 1, 0, datetime.date(2026, 8, 1)),
            ("youth", "kidal", 0, 2, 3, datetime.date(2026, 8, 1)),
        ]:
            relationships.salience_assess(
                user=officer, stakeholder=a[actor], outcome=o[outcome], power=p, legitimacy=lg,
                urgency=u, assessed_on=day, note=f"{actor} as seen in {day:%B}",
            )  # fmt: skip
        restake("firm", "water", position="opposes", assessed_on=datetime.date(2026, 7, 15),
                notes="Tariff dispute", source="Field report, July")  # fmt: skip
        restake("firm", "water", position="supports", assessed_on=datetime.date(2026, 10, 10))
        restake("igo", "water", influence=0.9, assessed_on=datetime.date(2026, 9, 1))
        restake("youth", "kidal", position="neutral", assessed_on=datetime.date(2026, 8, 20))
    with step():
        if hidden:
            for actor, outcome, p, lg, u, day in [
                ("h_women", "water", 1, 3, 3, datetime.date(2026, 6, 1)),
                ("h_women", "water", 3, 3, 3, datetime.date(2026, 10, 1)),
                ("h_militia", "kidal", 3, 0, 3, datetime.date(2026, 7, 1)),
                ("h_diaspora", "recruitment", 2, 2, 0, datetime.date(2026, 8, 1)),
            ]:
                relationships.salience_assess(
                    user=cleared, stakeholder=a[actor], outcome=o[outcome], power=p,
                    legitimacy=lg, urgency=u, assessed_on=day, note="Hidden assessment",
                )  # fmt: skip
            restake("h_women", "water", position="opposes", assessed_on=datetime.date(2026, 7, 1),
                    notes="Hidden reason", source="Hidden source")  # fmt: skip
            restake("h_militia", "kidal", position="opposes", assessed_on=datetime.date(2026, 9, 1))
            restake("h_diaspora", "recruitment", position="neutral")


def _duplicates(world: World, *, hidden: bool, step) -> None:
    """Duplicates among hidden actors: a hidden near-namesake of a visible actor (a suggestion
    for cleared people only: never to the others, nor counted), a pair a cleared officer
    dismissed, and a hidden twin with a stake and ties merged into a hidden actor."""
    a, cleared = world.actors, world.users["cleared"]
    with step():
        if hidden:
            a["h_namesake"] = registry.stakeholder_create(
                name="RELIEF MALI e.V.",
                kind=Kind.NGO,
                country="ML",
                sensitivity=Sensitivity.RESTRICTED,
            )
            a["h_twin"] = registry.stakeholder_create(
                name="GAO WOMEN MEDIATORS", kind=Kind.WOMENS_GROUP, country="ML", women_led=True,
                capabilities=C.COMMUNITY_TRUST, sensitivity=Sensitivity.RESTRICTED,
            )  # fmt: skip
            registry.stake_create(
                stakeholder=a["h_twin"],
                outcome=world.outcomes["protection"],
                interest=0.9,
                influence=0.6,
            )
            registry.tie_create(
                from_stakeholder=a["h_twin"], to_stakeholder=a["women"], kind=TieKind.PARTNERS_WITH
            )
            duplicate_dismiss(a=a["h_militia"], b=a["h_women"], user=cleared)
    with step():
        if hidden:
            stakeholder_merge(
                survivor=a["h_women"],
                others=[a["h_twin"]],
                values={"name": a["h_twin"].pk},
                user=cleared,
            )


def _provenance(world: World, *, hidden: bool, step) -> None:
    """Records an import made (issue 16): a public actor named from capitals with its recorded
    name and source, machine-made outcomes (one promoted by the uncleared officer), imported
    stakes and ties; in the hidden world a restricted imported actor with a stake in the
    machine-made outcome and a 3W tie to a public actor, which no count by source, facet or
    provenance date may betray."""
    a, o, users = world.actors, world.outcomes, world.users
    peace = Sector.objects.get(code="15220")
    with step():
        a["imported"] = registry.stakeholder_create(
            name="Government of Mali",
            kind=Kind.STATE,
            country="ML",
            recorded_name="GOVERNMENT OF MALI",
            origin="iati",
            source="IATI activity XM-HARNESS-77-1 of publisher XM-HARNESS-77",
        )
        o["machine"] = registry.outcome_create(
            title="Civilian peace-building in Mali",
            theme=Theme.RECONSTRUCTION,
            origin="iati",
            source="IATI import",
            sector=peace,
            countries=["ML"],
        )
        o["promoted"] = registry.outcome_create(
            title="Civilian peace-building in Niger",
            theme=Theme.RECONSTRUCTION,
            origin="iati",
            source="IATI import",
            sector=peace,
            countries=["NE"],
        )
        registry.stake_create(
            stakeholder=a["imported"], outcome=o["machine"], interest=0.5, influence=0.6,
            source="IATI activity data", origin="iati",
        )  # fmt: skip
        registry.tie_create(
            from_stakeholder=a["imported"], to_stakeholder=a["ngo"], kind=TieKind.PARTNERS_WITH,
            source="3W Harness row 2", origin="3w",
        )  # fmt: skip
    with step():
        if hidden:
            a["h_imported"] = registry.stakeholder_create(
                name="Gao Health Collective",
                kind=Kind.GRASSROOTS,
                country="ML",
                sensitivity=Sensitivity.RESTRICTED,
                recorded_name="GAO HEALTH COLLECTIVE",
                origin="iati",
                source="IATI activity XM-HARNESS-77-1 of publisher XM-HARNESS-77",
            )
            registry.stake_create(
                stakeholder=a["h_imported"], outcome=o["machine"], interest=0.9, influence=0.2,
                source="IATI activity data", origin="iati",
            )  # fmt: skip
            registry.stake_create(
                stakeholder=a["h_imported"], outcome=o["promoted"], interest=0.7, influence=0.3,
                source="IATI activity data", origin="iati",
            )  # fmt: skip
            registry.tie_create(
                from_stakeholder=a["h_imported"], to_stakeholder=a["ngo"],
                kind=TieKind.PARTNERS_WITH, source="3W Harness row 3", origin="3w",
            )  # fmt: skip
            # A restricted publisher: the provenance of what its activities made names it to
            # the cleared only; the others read what they would had the import linked none.
            a["h_publisher"] = registry.stakeholder_create(
                name="Harness Quiet Donor", kind=Kind.FOUNDATION, sensitivity=Sensitivity.RESTRICTED,
                origin="iati", source="IATI import", source_activity="XM-HARNESS-88-1",
            )  # fmt: skip
    with step():
        registry.outcome_promote(outcome=o["promoted"], user=users["officer"])
        # IATI-made public actors with their source as data: one published by a public actor
        # (named to everyone), one by the hidden publisher (none in the world without it).
        a["published"] = registry.stakeholder_create(
            name="Timbuktu Water Users", kind=Kind.GRASSROOTS, country="ML", origin="iati",
            source="IATI import", source_activity="XM-HARNESS-88-1",
            source_publisher=a.get("h_publisher"),
        )  # fmt: skip
        registry.stakeholder_create(
            name="Kidal Herders Union", kind=Kind.GRASSROOTS, country="ML", origin="iati",
            source="IATI import", source_activity="XM-HARNESS-77-2", source_publisher=a["imported"],
        )  # fmt: skip
    with step():
        # Tags: one a public and a hidden actor share, one only a hidden actor carries (never to
        # be listed, offered or counted for the uncleared), one on an outcome; a bulk tag edit
        # by the uncleared officer over what they see.
        registry.stakeholder_update(stakeholder=a["imported"], tags=["sahel", "imported"])
        registry.outcome_update(outcome=o["machine"], tags=["peace"])
        registry.stakeholder_bulk_tag(stakeholders=[a["ngo"], a["state"]], add=["partners"])
        if hidden:
            registry.stakeholder_update(
                stakeholder=a["h_imported"], tags=["sahel", "militia watch"]
            )
            registry.stakeholder_update(stakeholder=a["h_women"], tags=["partners"])


def _outcome_merges(world: World, *, hidden: bool, step) -> None:
    """Machine-made duplicates of outcomes merged (issue 16): one by the cleared officer, which
    in the hidden world moves a hidden actor's stake and combines its two stakes (said to cleared
    readers only); one by the uncleared officer, which leaves a hidden actor's stake where it
    was. Both records, pages and counts must read as if the hidden stakes had never existed."""
    a, o, users = world.actors, world.outcomes, world.users
    peace = Sector.objects.get(code="15220")
    with step():
        for key, title, country in (
            ("machine_dup", "Civilian peace building, Mali", "ML"),
            ("promoted_dup", "Civilian peace building, Niger", "NE"),
        ):
            o[key] = registry.outcome_create(
                title=title, theme=Theme.RECONSTRUCTION, origin="iati", source="IATI import",
                sector=peace, countries=[country], tags=["peace", "imported"],
            )  # fmt: skip
            registry.stake_create(
                stakeholder=a["ngo"], outcome=o[key], interest=0.4, influence=0.4,
                source="IATI activity data", origin="iati",
            )  # fmt: skip
            if hidden:
                registry.stake_create(
                    stakeholder=a["h_imported"], outcome=o[key], interest=0.95, influence=0.9,
                    source="IATI activity data", origin="iati",
                )  # fmt: skip
    with step():
        outcome_merge(
            survivor=o["machine"],
            others=[o["machine_dup"]],
            values={"description": o["machine_dup"].pk},
            user=users["cleared"],
        )
    with step():
        outcome_merge(
            survivor=o["promoted"], others=[o["promoted_dup"]], values={}, user=users["officer"]
        )
    with step():
        # The hidden stake that merge left on the archived outcome: the cleared officer keeps it
        # there (a decision only cleared readers see; the left stakes page is the same for the
        # others in both worlds: empty).
        if hidden:
            left = left_stakes_visible_to(users["cleared"]).get(outcome=o["promoted_dup"])
            left_stake_decide(stake=left, action="keep", user=users["cleared"], note="reviewed")


def _iati(world: World, *, hidden: bool) -> None:
    """The kind mapping review: one imported activity naming a public actor (by name), the ref a
    public and a hidden actor share, and a hidden actor by its own ref and name (the same
    published data in both worlds: only its matches differ); overrides a cleared officer made about
    the hidden actor (hidden world only), and the uncleared officer's on the shared ref."""
    users = world.users
    if hidden:
        registry.stakeholder_external_ids_set(
            stakeholder=world.actors["h_women"],
            external_ids={"iati_org": "XM-HARNESS-99"},
            user=users["cleared"],
        )

    def org(ref, org_type, role, name):
        return {"ref": ref, "type": org_type, "role": role, "name": name}

    IatiActivity.objects.create(
        iati_identifier="XM-HARNESS-77-1",
        digest="0" * 64,
        source="harness.xml",
        payload={
            "identifier": "XM-HARNESS-77-1",
            "version": "2.03",
            "reporting_org": org("XM-HARNESS-77", "22", "", "Relief Mali"),
            "participating_orgs": [
                org("XM-HARNESS-77", "22", "1", "Relief Mali"),
                org("", "24", "4", "Bamako Women's Forum"),
                org("XM-HARNESS-99", "23", "4", "Gao Women Mediators"),
                org("", "21", "4", "Kidal Self-Defence Committee"),
            ],
            "dates": {},
        },
    )
    if hidden:
        kind_override_set(scope="organisation", ref="XM-HARNESS-99", kind=Kind.WOMENS_GROUP,
                          user=users["cleared"], note="Gao mediators")  # fmt: skip
        kind_override_set(scope="publisher", ref="XM-HARNESS-99", org_type="24",
                          kind=Kind.GRASSROOTS, user=users["cleared"])  # fmt: skip
    kind_override_set(scope="organisation", ref="XM-HARNESS-77", kind=Kind.NGO,
                      user=users["officer"], note="Relief Mali")  # fmt: skip
    kind_override_set(scope="publisher", ref="XM-HARNESS-77", org_type="21",
                      kind=Kind.GRASSROOTS, user=users["officer"])  # fmt: skip


def _engagements(world: World, *, hidden: bool, step) -> None:
    a = world.actors
    plans = [
        ("consultation", "Consultation on water points in Gao", [("ngo", "implementer"), ("women", "participant"), ("state", "convener")], ["h_women"], ["water"]),
        ("forum", "Forum on displaced women's protection", [("foundation", "funder"), ("women", "participant")], ["h_women", "h_diaspora"], ["protection"]),
        ("campaign", "Counter-recruitment radio campaign", [("media", "implementer"), ("firm", "funder"), ("youth", "participant")], ["h_diaspora"], ["recruitment"]),
        ("programme", "Sahel displacement programme", [("igo", "funder"), ("academic", "participant")], [], ["displacement"]),
    ]  # fmt: skip
    for index, (key, title, visible, hidden_ones, outcomes) in enumerate(plans):
        with step():
            participants = [(a[k].pk, role) for k, role in visible]
            if hidden:
                participants += [(a[k].pk, "participant") for k in hidden_ones]
            world.engagements[key] = engagement_services.engagement_create(
                user=world.users["cleared"],
                title=title,
                kind="consultation" if index % 2 == 0 else "programme",
                start_date=datetime.date(2026, 3 + index, 10),
                country="ML",
                participants=participants,
                outcomes=[world.outcomes[o] for o in outcomes],
                digital_channels=index + 1,
                participants_total=40 + index,
                participants_women=20 + index,
                gbv_safeguards=index % 2 == 0,
                dac_gender_marker=index % 3,
                **(_place("h_women") if key == "consultation" else {}),
            )


def _partnerships(world: World, *, hidden: bool, step) -> None:
    a, users = world.actors, world.users

    def members(*keys):
        return [workflow.MemberInput(stakeholder_id=a[k].pk, role="other") for k in keys]

    def make(key, proposer, keys, status, title, outcomes):
        world.partnerships[key] = workflow.partnership_create_draft(
            proposer=proposer,
            title=title,
            rationale="They share a stake in the same outcomes and bring different tools.",
            members=members(*keys),
            outcomes=[world.outcomes[o] for o in outcomes],
            do_no_harm="Members are not named in public material; meetings in safe venues.",
        )
        for action, who in {
            PartnershipStatus.DRAFT: [],
            PartnershipStatus.PROPOSED: [("submit", proposer)],
            PartnershipStatus.APPROVED: [
                ("submit", proposer),
                ("start_review", users["cleared_reviewer"]),
                ("approve", users["cleared_reviewer"]),
            ],
        }[status]:
            world.partnerships[key] = workflow.SERVICES[action](
                partnership=world.partnerships[key], user=who, comment=""
            )

    with step():
        make("water", users["officer"], ["ngo", "firm"], PartnershipStatus.APPROVED,
             "Water points with mobile payments", ["water"])  # fmt: skip
    with step():
        hidden_keys = ["h_diaspora"] if hidden else []
        make("protection", users["cleared"], ["igo", "foundation", *hidden_keys],
             PartnershipStatus.PROPOSED, "Protection fund for displaced women", ["protection"])  # fmt: skip
    with step():
        if hidden:  # exists only with the hidden actor: one visible member without it
            make("mediation", users["cleared"], ["women", "h_women"], PartnershipStatus.PROPOSED,
                 "Local mediation network", ["protection"])  # fmt: skip
    with step():
        workflow.partnership_comment_add(
            partnership=world.partnerships["protection"],
            author=users["cleared"],
            body="The fund's first call opens in March.",
        )
    with step():
        engagement_services.engagement_update(
            engagement=world.engagements["programme"],
            user=users["cleared"],
            partnership=world.partnerships["protection"],
        )
