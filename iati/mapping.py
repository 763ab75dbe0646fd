"""How IATI codes map onto the registry: organisation types → kinds, roles → influence, DAC
sectors → themes, and the name normalisation used to deduplicate organisations.

Organisation type → kind (IATI OrganisationType codelist):

| code | IATI type | kind | why |
|---|---|---|---|
| 10 | Government | state | |
| 11 | Local Government | state | sub-national government is still the state |
| 15 | Other Public Sector | state | public agencies (e.g. the European Commission's DGs, DFIs) |
| 21 | International NGO | ngo | scope global |
| 22 | National NGO | ngo | scope national |
| 23 | Regional NGO | ngo | scope regional |
| 24 | Partner Country based NGO | ngo | scope local: counts towards the inclusion measures |
| 30 | Public Private Partnership | firm | no "partnership" kind; a PPP delivers like a firm |
| 40 | Multilateral | igo | |
| 60 | Foundation | foundation | |
| 70, 71, 72, 73 | Private Sector (…) | firm | |
| 80 | Academic, Training and Research | academic | |
| 90 | Other | ngo | the registry has no "other" kind; noted in the import report |
| missing or unknown | — | ngo | noted in the import report |

Role → influence on an outcome (the strongest role an actor plays in the outcome's activities):
funding 1.0, accountable 0.8, extending 0.6, implementing 0.5; a reporting organisation that
does not participate counts as accountable (0.8). Where the outcome's activities publish budgets,
influence is the mean of that role value and the actor's **budget share** in the outcome: the
budgets of the activities it takes part in there, over the budgets of all the outcome's activities
that publish one (``influence_with_budget``). Budgets are summed as published: IATI files of one
import mostly share a currency, and a share is a ratio within one outcome.

Activity → index engagement (``engagements.engagement_draft``; the tables below are the data):

| engagement | from the activity | rule |
|---|---|---|
| title | title (English narrative) | cut to 300 characters with "…"; else the identifier |
| kind | — | ``programme`` (a) |
| format | — | the model's default, in person: IATI does not say; no indicator reads it |
| start date | activity-date 2 (start actual), else 1 (planned) | none → no engagement (noted) |
| end date | activity-date 4 (end actual), else 3 (planned) | before the start → empty (noted) |
| country | first recipient country django-countries knows | else empty |
| place | recipient countries' names, else DAC regions' (``REGION_NAMES``) | "; "-joined (b) |
| outcomes | the outcomes this import made for the activity (sector × country) | |
| participants | participating organisations, one row per stakeholder | roles below (c) |

(a) An IATI activity is a funded programme or project of work, not a meeting, campaign or
conference; the standard has no field that says otherwise.
(b) Cut to 200 characters at a whole name, ending "and N more".
(c) A stakeholder named in several roles keeps the first in ``PARTICIPANT_ROLE_PRECEDENCE``
(funder, convener, implementer, participant: the role that commits the most, as for stakes'
influence). The reporting organisation joins only if it also participates.

| IATI role | participant role | why |
|---|---|---|
| 1 funding | funder | |
| 2 accountable | convener | oversees the activity and answers for its outcomes |
| 3 extending | convener | "manages the budget and direction … on behalf of the funding |
| | | organisation": it steers the work, as a convener does, more than taking part |
| 4 implementing | implementer | |
| missing / unknown | participant | named in the activity, role not said |

Facts the index reads. Everything not listed stays unknown (``None``) because IATI does not say
it: digital channels, real-time reporting, reach, disinformation safeguards, data protection,
participant and leader counts, results by sex. Unknown lowers completeness; it is never 0/False.

| fact | from | rule |
|---|---|---|
| ``dac_gender_marker`` | policy-marker vocabulary 1, code 1 | significance 0/1/2 → 0/1/2 (d) |
| ``gbv_safeguards`` | DAC sector 15180 | True; otherwise unknown, never False |
| UNSCR 1325 pillars | DAC sectors (``UNSCR1325_PILLARS_BY_SECTOR``) | set when one says so (e) |
| digital facts | — | none (f) |

(d) 3 ("principal objective AND in support of an action programme") and 4 ("explicit primary
objective") belong to other markers (desertification…), not the DAC gender marker: left unknown
and noted, not guessed as 2. No marker → unknown.
(e) The index stores the four pillars as plain booleans (not nullable), so "not said" is False
there: an index-side limit, not a claim of the import.
(f) 22040 (ICT) says what a programme works on, not which channels the engagement uses or whether
it reports in real time: no digital fact is inferred from it.

| DAC sector | sets | why |
|---|---|---|
| 15180 ending violence against women and girls | gbv safeguards, protection | its core |
| 15170 women's rights organisations and movements | participation | women's voice |
| 15220 civilian peace-building, conflict prevention | prevention | the pillar's name |
| 15130 legal and judicial development | — | justice in general, not women |
| 15150 democratic participation and civil society | — | not women's participation |
| 15160 human rights | — | too broad to name a pillar |
| 15210, 15240, 15250, 15261 security sectors | — | nothing about women |
| 72xxx humanitarian, 73010 reconstruction relief | — | not women's specific needs |
"""

from index.choices import EngagementKind, ParticipantRole
from stakeholders.choices import Capability, Kind, Scope, Theme
from stakeholders.names import name_key

KIND_BY_ORG_TYPE: dict[str, str] = {
    "10": Kind.STATE,
    "11": Kind.STATE,
    "15": Kind.STATE,
    "21": Kind.NGO,
    "22": Kind.NGO,
    "23": Kind.NGO,
    "24": Kind.NGO,
    "30": Kind.FIRM,
    "40": Kind.IGO,
    "60": Kind.FOUNDATION,
    "70": Kind.FIRM,
    "71": Kind.FIRM,
    "72": Kind.FIRM,
    "73": Kind.FIRM,
    "80": Kind.ACADEMIC,
    "90": Kind.NGO,
}
FALLBACK_KIND = Kind.NGO

SCOPE_BY_ORG_TYPE: dict[str, str] = {
    "11": Scope.LOCAL,
    "21": Scope.GLOBAL,
    "22": Scope.NATIONAL,
    "23": Scope.REGIONAL,
    "24": Scope.LOCAL,
    "40": Scope.GLOBAL,
}

FUNDING, ACCOUNTABLE, EXTENDING, IMPLEMENTING = "1", "2", "3", "4"
INFLUENCE_BY_ROLE: dict[str, float] = {
    FUNDING: 1.0,
    ACCOUNTABLE: 0.8,
    EXTENDING: 0.6,
    IMPLEMENTING: 0.5,
}
# Not a participating role: the organisation that published the activity.
REPORTING_INFLUENCE = INFLUENCE_BY_ROLE[ACCOUNTABLE]
# What a role shows of an actor's toolbox (given to stakeholders the import creates).
CAPABILITY_BY_ROLE: dict[str, Capability] = {
    FUNDING: Capability.FUNDING,
    IMPLEMENTING: Capability.FIELD_PRESENCE,
}


def kind_for_org_type(code: str) -> tuple[str, str | None]:
    """The kind for an IATI organisation-type code, and a note when the code did not say."""
    code = (code or "").strip()
    if not code:
        return FALLBACK_KIND, "no organisation type: recorded as NGO"
    if code not in KIND_BY_ORG_TYPE:
        return FALLBACK_KIND, f"unknown organisation type {code!r}: recorded as NGO"
    if code == "90":
        return FALLBACK_KIND, "organisation type 90 (other): recorded as NGO"
    return KIND_BY_ORG_TYPE[code], None


def influence_for_role(role: str) -> float:
    """Influence (0–1) of a participating role; unknown roles count as implementing."""
    return INFLUENCE_BY_ROLE.get(role, INFLUENCE_BY_ROLE[IMPLEMENTING])


def influence_with_budget(role_influence: float, budget: float, outcome_budget: float) -> float:
    """The role's influence, averaged with the actor's budget share of the outcome when the
    outcome's activities publish budgets (``outcome_budget`` > 0); else the role's alone."""
    if outcome_budget <= 0:
        return role_influence
    share = min(1.0, max(0.0, budget / outcome_budget))
    return round((role_influence + share) / 2, 4)


# DAC 5-digit sector → theme. Exact codes first, then the code's 3-digit group, then governance.
THEME_BY_SECTOR: dict[str, str] = {
    "15170": Theme.WOMEN_PEACE_SECURITY,  # women's rights organisations and movements
    "15180": Theme.WOMEN_PEACE_SECURITY,  # ending violence against women and girls
    "15210": Theme.RECONSTRUCTION,  # security system management and reform
    "15220": Theme.RECONSTRUCTION,  # civilian peace-building, conflict prevention and resolution
    "15230": Theme.RECONSTRUCTION,  # participation in international peacekeeping operations
    "15240": Theme.RECONSTRUCTION,  # reintegration and small arms and light weapons control
    "15250": Theme.RECONSTRUCTION,  # removal of land mines and explosive remnants of war
    "15261": Theme.RECONSTRUCTION,  # child soldiers (prevention and demobilisation)
    "15153": Theme.DISINFORMATION,  # media and free flow of information
    "22040": Theme.CYBER,  # information and communication technology
    "73010": Theme.DISPLACEMENT,  # immediate post-emergency reconstruction and rehabilitation
    "43060": Theme.CLIMATE_SECURITY,  # disaster risk reduction
}
THEME_BY_SECTOR_GROUP: dict[str, str] = {
    "720": Theme.DISPLACEMENT,  # emergency response
    "740": Theme.DISPLACEMENT,  # disaster prevention and preparedness
    "410": Theme.CLIMATE_SECURITY,  # general environment protection
    "121": Theme.HEALTH_SECURITY,  # health, general
    "122": Theme.HEALTH_SECURITY,  # basic health
    "123": Theme.HEALTH_SECURITY,  # non-communicable diseases
    "311": Theme.FOOD_SECURITY,  # agriculture
    "520": Theme.FOOD_SECURITY,  # development food assistance
}
DEFAULT_THEME = Theme.GOVERNANCE


def theme_for_sector(code: str) -> str:
    """The outcome theme of a DAC 5-digit sector (see the tables above; default governance)."""
    return THEME_BY_SECTOR.get(code) or THEME_BY_SECTOR_GROUP.get(code[:3]) or DEFAULT_THEME


name_normalised = name_key  # the registry's importer matching rule (stakeholders.names)


# --- activities → engagements (tables documented in the module docstring) ---------------------

ENGAGEMENT_KIND = EngagementKind.PROGRAMME
PARTICIPANT_ROLE_BY_IATI_ROLE: dict[str, str] = {
    FUNDING: ParticipantRole.FUNDER,
    ACCOUNTABLE: ParticipantRole.CONVENER,
    EXTENDING: ParticipantRole.CONVENER,
    IMPLEMENTING: ParticipantRole.IMPLEMENTER,
}
FALLBACK_PARTICIPANT_ROLE = ParticipantRole.PARTICIPANT
# First wins when one stakeholder plays several roles in one activity.
PARTICIPANT_ROLE_PRECEDENCE: tuple[str, ...] = (
    ParticipantRole.FUNDER,
    ParticipantRole.CONVENER,
    ParticipantRole.IMPLEMENTER,
    ParticipantRole.PARTICIPANT,
)

# Gender-equality policy marker significance → dac_gender_marker; other values stay unknown.
GENDER_MARKER_BY_SIGNIFICANCE: dict[int, int] = {0: 0, 1: 1, 2: 2}
GBV_SAFEGUARD_SECTORS: frozenset[str] = frozenset({"15180"})
UNSCR1325_PILLARS_BY_SECTOR: dict[str, frozenset[str]] = {
    "15180": frozenset({"protection"}),
    "15170": frozenset({"participation"}),
    "15220": frozenset({"prevention"}),
}
UNSCR1325_PILLARS = ("participation", "protection", "prevention", "relief_recovery")

# OECD DAC recipient regions (IATI Region codelist, vocabulary 1) → English names, for ``place``.
REGION_VOCABULARY_DAC = "1"
REGION_NAMES: dict[str, str] = {
    "88": "States Ex-Yugoslavia unspecified",
    "89": "Europe, regional",
    "189": "North of Sahara, regional",
    "289": "South of Sahara, regional",
    "298": "Africa, regional",
    "380": "West Indies, regional",
    "389": "North & Central America, regional",
    "489": "South America, regional",
    "498": "America, regional",
    "589": "Middle East, regional",
    "619": "Central Asia, regional",
    "679": "South Asia, regional",
    "689": "South & Central Asia, regional",
    "789": "Far East Asia, regional",
    "798": "Asia, regional",
    "889": "Oceania, regional",
    "998": "Developing countries, unspecified",
    "1027": "Eastern Africa, regional",
    "1028": "Middle Africa, regional",
    "1029": "Southern Africa, regional",
    "1030": "Western Africa, regional",
    "1031": "Caribbean, regional",
    "1032": "Central America, regional",
    "1033": "Melanesia, regional",
    "1034": "Micronesia, regional",
    "1035": "Polynesia, regional",
}


def participant_role_for(iati_role: str) -> str:
    """The index participant role of an IATI organisation role (unknown → participant)."""
    return PARTICIPANT_ROLE_BY_IATI_ROLE.get(iati_role, FALLBACK_PARTICIPANT_ROLE)


def participant_role_stronger(first: str, second: str) -> str:
    """Of two participant roles, the one ``PARTICIPANT_ROLE_PRECEDENCE`` puts first."""
    order = PARTICIPANT_ROLE_PRECEDENCE
    return first if order.index(first) <= order.index(second) else second
