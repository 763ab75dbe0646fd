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
does not participate counts as accountable (0.8). Budget shares are not used yet.
"""

import re
import unicodedata

from stakeholders.choices import Capability, Kind, Scope, Theme

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


_PUNCTUATION = re.compile(r"[^\w\s]", re.UNICODE)
_LEADING_THE = re.compile(r"^the\s+")


def name_normalised(name: str) -> str:
    """The form of an organisation's name used to find the same organisation spelt differently.

    Case-folded, accents and punctuation dropped, spaces collapsed, a leading "the" dropped:
    "The Bill & Melinda Gates Foundation" and "bill  melinda gates foundation." match.
    """
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(char for char in text if not unicodedata.combining(char)).casefold()
    text = _PUNCTUATION.sub(" ", text)
    text = " ".join(text.split())
    return _LEADING_THE.sub("", text)
