"""The demo scenario: a hand-written registry around the themes of DESIGN.md, and its loader.

The scenario is built as plain data first (``demo_scenario()``: deterministic, no database), then
written by ``demo_scenario_load()``: stakeholders and outcomes through the registry services,
stakes and ties validated row by row and inserted in bulk; every demo row has change history.
Rows are keyed on natural keys (stakeholder name + country, outcome title, stakeholder × outcome,
from × to × kind), which makes the load idempotent and lets it complete a partly loaded database.

The 144 anchor actors are real public institutions (states and their agencies, UN bodies, NGOs,
firms, foundations, media, think tanks). The ~130 local groups, diaspora associations and
grassroots movements are invented from name parts with a fixed random seed and say so in their
description; the restricted and confidential ones among them are the do-no-harm case of DESIGN.md.
"""

import datetime
import functools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django_countries import countries
from simple_history.utils import bulk_create_with_history

from accounts.roles import CLEARANCE_PERMISSION, Role

from . import services
from .choices import (
    SYMMETRIC_TIE_KINDS,
    Capability,
    DigitalPresence,
    IdentifierScheme,
    Kind,
    Position,
    Scope,
    Sensitivity,
    Theme,
    TieKind,
)
from .models import ExternalIdentifier, Outcome, Sector, Stake, Stakeholder, Tie
from .signals import registry_bulk_changed

DEMO_SEED = 2026
INVENTED = "(Invented for the demo.)"

# --- vocabulary shorthands -----------------------------------------------------------------------

THEME_CODES = {
    "R": Theme.RECONSTRUCTION,
    "D": Theme.DISPLACEMENT,
    "C": Theme.CLIMATE_SECURITY,
    "X": Theme.VIOLENT_EXTREMISM,
    "I": Theme.DISINFORMATION,
    "W": Theme.WOMEN_PEACE_SECURITY,
    "H": Theme.HEALTH_SECURITY,
    "F": Theme.FOOD_SECURITY,
    "Y": Theme.CYBER,
    "G": Theme.GOVERNANCE,
}
CAPABILITY_CODES = {
    "f": Capability.FUNDING,
    "p": Capability.FIELD_PRESENCE,
    "t": Capability.TECHNOLOGY,
    "c": Capability.CONVENING,
    "l": Capability.LEGAL,
    "s": Capability.SECURITY,
    "m": Capability.MEDIA_REACH,
    "r": Capability.RESEARCH_DATA,
    "g": Capability.LOGISTICS,
    "k": Capability.COMMUNITY_TRUST,
}


def _themes(codes: str) -> tuple[str, ...]:
    return tuple(str(THEME_CODES[code]) for code in codes if code != " ")


def _capabilities(codes: str) -> int:
    value = Capability(0)
    for code in codes:
        if code != " ":
            value |= CAPABILITY_CODES[code]
    return int(value)


# --- sectors -------------------------------------------------------------------------------------

# OECD DAC 5-digit purpose codes with their names exactly as in the IATI Sector codelist
# (stakeholders/iati/codelists/Sector.xml, a copy of the IATI codelist); a test checks them
# against that file.
DEMO_SECTORS = (
    ("12220", "Basic health care"),
    ("12250", "Infectious disease control"),
    ("14030", "Basic drinking water supply and basic sanitation"),
    ("15130", "Legal and judicial development"),
    ("15150", "Democratic participation and civil society"),
    ("15151", "Elections"),
    ("15153", "Media and free flow of information"),
    ("15160", "Human rights"),
    ("15170", "Women's rights organisations and movements, and government institutions"),
    ("15180", "Ending violence against women and girls"),
    ("15190", "Facilitation of orderly, safe, regular and responsible migration and mobility"),
    ("15196", "Government and civil society statistics and data"),
    ("15210", "Security system management and reform"),
    ("15220", "Civilian peace-building, conflict prevention and resolution"),
    ("15240", "Reintegration and SALW control"),
    ("15250", "Removal of land mines and explosive remnants of war"),
    ("16010", "Social Protection"),
    ("16020", "Employment creation"),
    ("22040", "Information and communication technology (ICT)"),
    ("31161", "Food crop production"),
    ("31163", "Livestock"),
    ("41010", "Environmental policy and administrative management"),
    ("43060", "Disaster Risk Reduction"),
    ("52010", "Food assistance"),
    ("72010", "Material relief assistance and services"),
    ("72040", "Emergency food assistance"),
    ("72050", "Relief co-ordination and support services"),
    ("73010", "Immediate post-emergency reconstruction and rehabilitation"),
    ("74020", "Multi-hazard response preparedness"),
)

# The sectors an actor working on a theme usually reports under, most typical first.
THEME_SECTORS = {
    Theme.RECONSTRUCTION: ("73010", "14030", "15250", "16020"),
    Theme.DISPLACEMENT: ("72010", "72050", "15190", "16010"),
    Theme.CLIMATE_SECURITY: ("41010", "43060", "31163", "74020"),
    Theme.VIOLENT_EXTREMISM: ("15220", "15240", "22040"),
    Theme.DISINFORMATION: ("15153", "15151", "22040"),
    Theme.WOMEN_PEACE_SECURITY: ("15170", "15180", "15220"),
    Theme.HEALTH_SECURITY: ("12220", "12250", "14030"),
    Theme.FOOD_SECURITY: ("52010", "72040", "31161"),
    Theme.CYBER: ("22040", "15160"),
    Theme.GOVERNANCE: ("15130", "15160", "15150", "15196", "15210"),
}


# --- the scenario as data ------------------------------------------------------------------------

StakeholderKey = tuple[str, str]  # (name, country)


@dataclass(frozen=True)
class StakeholderSpec:
    name: str
    kind: str
    country: str
    acronym: str = ""
    scope: str = Scope.NATIONAL
    parent: StakeholderKey | None = None
    capabilities: int = 0
    digital_presence: int = DigitalPresence.BASIC
    women_led: bool = False
    women_leadership_share: float | None = None
    sensitivity: str = Sensitivity.PUBLIC
    description: str = ""
    website: str = ""
    country_of_origin: str = ""
    sectors: tuple[str, ...] = ()
    external_ids: tuple[tuple[str, str], ...] = ()
    # Not stored: what the actor works on and where ("*" = anywhere); used to give it stakes.
    themes: tuple[str, ...] = ()
    works_in: tuple[str, ...] = ()

    @property
    def key(self) -> StakeholderKey:
        return (self.name, self.country)

    @property
    def works_anywhere(self) -> bool:
        return "*" in self.works_in


@dataclass(frozen=True)
class OutcomeSpec:
    slug: str
    title: str
    theme: str
    geography: str
    countries: tuple[str, ...]
    needed_capabilities: int
    description: str
    # Other themes the outcome touches: actors working on them hold weaker stakes in it.
    related_themes: tuple[str, ...] = ()


@dataclass(frozen=True)
class StakeSpec:
    stakeholder: StakeholderKey
    outcome: str  # title
    interest: float
    influence: float
    position: str
    notes: str = ""
    source: str = ""


@dataclass(frozen=True)
class TieSpec:
    from_stakeholder: StakeholderKey
    to_stakeholder: StakeholderKey
    kind: str
    strength: float
    start_date: datetime.date | None
    end_date: datetime.date | None
    source: str
    notes: str = ""


@dataclass(frozen=True)
class Scenario:
    sectors: tuple[tuple[str, str], ...]
    stakeholders: tuple[StakeholderSpec, ...]
    outcomes: tuple[OutcomeSpec, ...]
    stakes: tuple[StakeSpec, ...]
    ties: tuple[TieSpec, ...]
    stakeholder_index: dict = field(default_factory=dict, compare=False, repr=False)


# --- outcomes ------------------------------------------------------------------------------------

OUTCOMES = (
    OutcomeSpec(
        "yemen_reconstruction",
        "Post-conflict reconstruction in Yemen",
        Theme.RECONSTRUCTION,
        "Yemen",
        ("YE",),
        _capabilities("fpgks"),
        "Restore housing, water, electricity and livelihoods where fighting has subsided, with "
        "local councils and women's groups deciding the priorities.",
        _themes("GFH"),
    ),
    OutcomeSpec(
        "syria_services",
        "Restoring basic services in north-west Syria",
        Theme.RECONSTRUCTION,
        "North-west Syria, with cross-border operations from Türkiye",
        ("SY", "TR"),
        _capabilities("fpgk"),
        "Rebuild water, health and education services in Idlib and northern Aleppo after years of "
        "conflict and the February 2023 earthquakes.",
        _themes("HD"),
    ),
    OutcomeSpec(
        "south_sudan_peace",
        "Peace agreement implementation and recovery in South Sudan",
        Theme.RECONSTRUCTION,
        "South Sudan",
        ("SS",),
        _capabilities("cskfl"),
        "Carry out the 2018 Revitalised Peace Agreement: local peace dialogues, reintegration of "
        "former combatants and the recovery of services in Jonglei, Upper Nile and Unity.",
        _themes("GW"),
    ),
    OutcomeSpec(
        "rohingya_women",
        "Protection of displaced Rohingya women and girls in Cox's Bazar",
        Theme.DISPLACEMENT,
        "Cox's Bazar, Bangladesh",
        ("BD", "MM"),
        _capabilities("pklfs"),
        "Safe spaces, case management for survivors of gender-based violence and women's "
        "leadership in camp governance for the Rohingya refugees in the Cox's Bazar camps.",
        _themes("WH"),
    ),
    OutcomeSpec(
        "rakhine_return",
        "Conditions for safe, voluntary and dignified Rohingya return to Rakhine",
        Theme.DISPLACEMENT,
        "Rakhine State, Myanmar",
        ("MM", "BD"),
        _capabilities("lcsr"),
        "Citizenship, freedom of movement and accountability for atrocities: the conditions "
        "Rohingya refugees themselves set for going home.",
        _themes("G"),
    ),
    OutcomeSpec(
        "chad_sudanese_women",
        "Protection and livelihoods for Sudanese refugee women in eastern Chad",
        Theme.DISPLACEMENT,
        "Ouaddaï and Wadi Fira, Chad",
        ("TD", "SD"),
        _capabilities("fpgk"),
        "Since April 2023 hundreds of thousands of people, most of them women and children, have "
        "fled Darfur into eastern Chad: safety from violence, water, food and an income for women "
        "in and around the camps.",
        _themes("WFH"),
    ),
    OutcomeSpec(
        "sahel_displacement",
        "Resilience to climate-driven displacement in the central Sahel",
        Theme.CLIMATE_SECURITY,
        "Central Sahel: Mali, Niger, Burkina Faso and Chad",
        ("ML", "NE", "BF", "TD"),
        _capabilities("rpfkg"),
        "Early warning, adaptive social protection and land restoration so that drought and floods "
        "no longer force families from their land.",
        _themes("DF"),
    ),
    OutcomeSpec(
        "farmer_herder",
        "Preventing farmer–herder conflict in central Mali and northern Burkina Faso",
        Theme.CLIMATE_SECURITY,
        "Central Mali and northern Burkina Faso",
        ("ML", "BF"),
        _capabilities("ckrl"),
        "Local agreements on transhumance corridors, water points and grazing land, mediated by "
        "customary and religious leaders, women and youth, so that competition over shrinking "
        "resources does not turn violent.",
        _themes("XG"),
    ),
    OutcomeSpec(
        "lake_chad",
        "Water and livelihood resilience in the Lake Chad Basin",
        Theme.CLIMATE_SECURITY,
        "Lake Chad Basin",
        ("TD", "NE", "NG", "CM"),
        _capabilities("fprg"),
        "Water management, fisheries and farming that give people around a shrinking, insecure "
        "lake a living that armed groups cannot outbid.",
        _themes("FDX"),
    ),
    OutcomeSpec(
        "sahel_recruitment",
        "Countering online extremist recruitment of young people in the Sahel",
        Theme.VIOLENT_EXTREMISM,
        "Mali, Burkina Faso and Niger",
        ("ML", "BF", "NE"),
        _capabilities("tmkr"),
        "Armed groups recruit through messaging apps and local-language audio: credible "
        "alternative voices, safe reporting of recruitment content and livelihoods for the young "
        "people who are targeted.",
        _themes("I"),
    ),
    OutcomeSpec(
        "online_recruitment",
        "Countering online extremist recruitment",
        Theme.VIOLENT_EXTREMISM,
        "Global",
        (),
        _capabilities("trlc"),
        "Detect and disrupt terrorist and violent extremist content and recruitment across "
        "platforms while protecting human rights and freedom of expression.",
        _themes("YI"),
    ),
    OutcomeSpec(
        "ukraine_information",
        "Information integrity in Ukraine",
        Theme.DISINFORMATION,
        "Ukraine",
        ("UA",),
        _capabilities("tmrf"),
        "Independent media, fact-checking and platform cooperation that keep people informed and "
        "blunt coordinated disinformation campaigns during the war.",
        _themes("YG"),
    ),
    OutcomeSpec(
        "moldova_elections",
        "Resilience to election disinformation in Moldova",
        Theme.DISINFORMATION,
        "Moldova",
        ("MD",),
        _capabilities("tmlr"),
        "Protect elections from vote buying, deepfakes and coordinated inauthentic behaviour, with "
        "the electoral authorities, platforms and civil society working from the same evidence.",
        _themes("G"),
    ),
    OutcomeSpec(
        "kenya_elections",
        "Information integrity in Kenya's elections",
        Theme.DISINFORMATION,
        "Kenya",
        ("KE",),
        _capabilities("tmkl"),
        "Counter disinformation, hate speech and online gender-based violence against women "
        "candidates ahead of the 2027 general election.",
        _themes("GW"),
    ),
    OutcomeSpec(
        "yemen_women_peace",
        "Women's meaningful participation in the Yemen peace process",
        Theme.WOMEN_PEACE_SECURITY,
        "Yemen",
        ("YE",),
        _capabilities("cksl"),
        "Women mediators and local women's groups at the table, in the UN-led talks and in the "
        "local truces over roads, water and detainees.",
        _themes("RG"),
    ),
    OutcomeSpec(
        "sudan_women_peace",
        "Women's participation in Sudan's peace and ceasefire talks",
        Theme.WOMEN_PEACE_SECURITY,
        "Sudan",
        ("SD",),
        _capabilities("ckls"),
        "Women's groups, including those displaced to Chad and Egypt, shaping humanitarian "
        "ceasefires and the political process, with protection for the women who take part.",
        _themes("DG"),
    ),
    OutcomeSpec(
        "sahel_food",
        "Food security through the Sahel lean season",
        Theme.FOOD_SECURITY,
        "Mali, Niger, Burkina Faso and Chad",
        ("ML", "NE", "BF", "TD"),
        _capabilities("fgpr"),
        "Timely food and cash assistance, seeds and livestock support where conflict and "
        "climate shocks have cut harvests and access to markets.",
        _themes("CD"),
    ),
    OutcomeSpec(
        "yemen_cholera",
        "Cholera prevention and health system recovery in Yemen",
        Theme.HEALTH_SECURITY,
        "Yemen",
        ("YE",),
        _capabilities("fpgr"),
        "Safe water, oral cholera vaccination, treatment centres and paid health workers in a "
        "health system broken by years of war.",
        _themes("R"),
    ),
    OutcomeSpec(
        "defender_digital_safety",
        "Digital safety for women human rights defenders",
        Theme.CYBER,
        "Global",
        (),
        _capabilities("tlkf"),
        "Protect women human rights defenders and peacebuilders from surveillance, doxxing and "
        "coordinated online abuse, with rapid help when their accounts are attacked.",
        _themes("WI"),
    ),
    OutcomeSpec(
        "syria_justice",
        "Transitional justice and accountability in Syria",
        Theme.GOVERNANCE,
        "Syria",
        ("SY",),
        _capabilities("lrck"),
        "Document violations, search for the missing and give survivors — many of them women and "
        "families of the detained — a voice in how Syria deals with its past.",
        _themes("RW"),
    ),
)


# --- anchor actors (real, public) ----------------------------------------------------------------


def _anchor(
    name: str,
    acronym: str,
    kind: str,
    country: str,
    scope: str,
    capabilities: str,
    themes: str,
    works_in: str,
    *,
    parent: str | None = None,
    digital: int | None = None,
    website: str = "",
    iati: str = "",
    crs: str = "",
    description: str = "",
    origin: str = "",
    women_led: bool = False,
) -> dict:
    theme_values = _themes(themes)
    return {
        "name": name,
        "acronym": acronym,
        "kind": kind,
        "country": country,
        "scope": scope,
        "parent_name": parent,
        "capabilities": _capabilities(capabilities),
        "digital_presence": digital,
        "women_led": women_led,
        "description": description,
        "website": website,
        "country_of_origin": origin,
        "external_ids": tuple(
            (scheme, value)
            for scheme, value in (
                (IdentifierScheme.IATI_ORG, iati),
                (IdentifierScheme.CRS_CHANNEL, crs),
            )
            if value
        ),
        "themes": theme_values,
        "works_in": tuple(works_in.split()),
    }


S, IGO, NGO, FIRM = Kind.STATE, Kind.IGO, Kind.NGO, Kind.FIRM
DIA, WG, ACA, MED = Kind.DIASPORA, Kind.WOMENS_GROUP, Kind.ACADEMIC, Kind.MEDIA
FAITH, GRASS, FOUND = Kind.FAITH_BASED, Kind.GRASSROOTS, Kind.FOUNDATION
GLOBAL, REGIONAL, NATIONAL, LOCAL = Scope.GLOBAL, Scope.REGIONAL, Scope.NATIONAL, Scope.LOCAL
SAHEL = "ML NE BF TD"

# Parents come before their agencies and country offices.
ANCHORS = (
    # States and their agencies
    _anchor("Government of the United Kingdom", "", S, "GB", GLOBAL, "fcsl", "RDXIWG", "*",
            website="https://www.gov.uk"),
    _anchor("Foreign, Commonwealth & Development Office", "FCDO", S, "GB", GLOBAL, "fcls",
            "RDCXIWHG", "*", parent="Government of the United Kingdom", iati="GB-GOV-1",
            website="https://www.gov.uk/government/organisations/foreign-commonwealth-development-office",
            description="UK ministry for foreign affairs and development; a major funder of "
            "humanitarian, peacebuilding and women, peace and security programmes."),
    _anchor("Government of the United States", "", S, "US", GLOBAL, "fcsl", "RDXIG", "*",
            website="https://www.usa.gov"),
    _anchor("U.S. Department of State", "", S, "US", GLOBAL, "fcsl", "DXIG", "*",
            parent="Government of the United States", website="https://www.state.gov",
            description="US foreign ministry; funds refugee assistance and programmes against "
            "terrorist recruitment and foreign information manipulation."),
    _anchor("Government of Germany", "", S, "DE", GLOBAL, "fcl", "RDCIG", "*",
            website="https://www.bundesregierung.de"),
    _anchor("Federal Foreign Office", "AA", S, "DE", GLOBAL, "fcl", "DCIWG", "*",
            parent="Government of Germany", website="https://www.auswaertiges-amt.de",
            description="Germany's foreign ministry; funds humanitarian aid, stabilisation and "
            "climate-security diplomacy."),
    _anchor("Federal Ministry for Economic Cooperation and Development", "BMZ", S, "DE", GLOBAL,
            "fc", "RDCFW", "*", parent="Government of Germany", iati="DE-1",
            website="https://www.bmz.de"),
    _anchor("Deutsche Gesellschaft für Internationale Zusammenarbeit", "GIZ", S, "DE", GLOBAL,
            "ptcr", "RDCFG", "*",
            parent="Federal Ministry for Economic Cooperation and Development",
            website="https://www.giz.de",
            description="Germany's federal enterprise for international cooperation; implements "
            "programmes for BMZ and other clients."),
    _anchor("Government of Norway", "", S, "NO", GLOBAL, "fc", "RWG", "*",
            website="https://www.regjeringen.no"),
    _anchor("Norwegian Agency for Development Cooperation", "Norad", S, "NO", GLOBAL, "fr",
            "RCFWG", "*", parent="Government of Norway", website="https://www.norad.no"),
    _anchor("Government of Sweden", "", S, "SE", GLOBAL, "fc", "WDG", "*",
            website="https://www.government.se"),
    _anchor("Swedish International Development Cooperation Agency", "Sida", S, "SE", GLOBAL, "f",
            "WDCG", "*", parent="Government of Sweden", website="https://www.sida.se"),
    _anchor("Government of the Netherlands", "", S, "NL", GLOBAL, "fcl", "RWDCG", "*",
            website="https://www.government.nl"),
    _anchor("Ministry of Foreign Affairs of the Netherlands", "", S, "NL", GLOBAL, "fcl", "WDCIG",
            "*", parent="Government of the Netherlands",
            website="https://www.government.nl/ministries/ministry-of-foreign-affairs"),
    _anchor("Government of Canada", "", S, "CA", GLOBAL, "fc", "WDG", "*",
            website="https://www.canada.ca"),
    _anchor("Global Affairs Canada", "GAC", S, "CA", GLOBAL, "fcl", "WDHG", "*",
            parent="Government of Canada", website="https://www.international.gc.ca",
            description="Canada's foreign ministry; its Feminist International Assistance Policy "
            "puts women's rights organisations at the centre of its aid."),
    _anchor("Government of Saudi Arabia", "", S, "SA", REGIONAL, "fcs", "R", "YE"),
    _anchor("King Salman Humanitarian Aid and Relief Centre", "KSrelief", S, "SA", REGIONAL,
            "fgp", "RHFD", "YE SY", parent="Government of Saudi Arabia",
            website="https://www.ksrelief.org"),
    _anchor("Saudi Development and Reconstruction Program for Yemen", "SDRPY", S, "SA", NATIONAL,
            "fg", "R", "YE", parent="Government of Saudi Arabia"),
    _anchor("Government of Bangladesh", "", S, "BD", NATIONAL, "sclg", "D", "BD MM"),
    _anchor("Refugee Relief and Repatriation Commissioner", "RRRC", S, "BD", LOCAL, "pgc", "D",
            "BD", parent="Government of Bangladesh",
            description="Government office in Cox's Bazar that coordinates the Rohingya refugee "
            "response and camp administration."),
    _anchor("Government of Chad", "", S, "TD", NATIONAL, "sc", "DCF", "TD SD"),
    _anchor("Commission Nationale d'Accueil, de Réinsertion des Réfugiés et des Rapatriés",
            "CNARR", S, "TD", NATIONAL, "pcg", "D", "TD", parent="Government of Chad",
            description="Chad's national refugee commission."),
    _anchor("Government of Kenya", "", S, "KE", NATIONAL, "scl", "IG", "KE SS"),
    _anchor("Independent Electoral and Boundaries Commission", "IEBC", S, "KE", NATIONAL, "lc",
            "IG", "KE", parent="Government of Kenya", website="https://www.iebc.or.ke"),
    _anchor("Government of Moldova", "", S, "MD", NATIONAL, "lsc", "IG", "MD",
            website="https://gov.md"),
    _anchor("Central Electoral Commission of the Republic of Moldova", "CEC", S, "MD", NATIONAL,
            "lc", "I", "MD", parent="Government of Moldova", website="https://a.cec.md"),
    _anchor("Government of Ukraine", "", S, "UA", NATIONAL, "slc", "RIG", "UA",
            website="https://www.kmu.gov.ua"),
    _anchor("Centre for Countering Disinformation", "CCD", S, "UA", NATIONAL, "rtm", "I", "UA",
            parent="Government of Ukraine", website="https://cpd.gov.ua",
            description="Body of Ukraine's National Security and Defence Council that monitors and "
            "exposes disinformation."),
    _anchor("Government of the Russian Federation", "", S, "RU", GLOBAL, "smt", "I", "UA MD"),
    _anchor("Government of Mali", "", S, "ML", NATIONAL, "s", "CXF", "ML",
            description="Mali's transitional government."),
    _anchor("Government of Niger", "", S, "NE", NATIONAL, "s", "CXF", "NE"),
    _anchor("Government of Burkina Faso", "", S, "BF", NATIONAL, "s", "CXF", "BF"),
    _anchor("Government of Yemen", "", S, "YE", NATIONAL, "sc", "RWH", "YE",
            description="The internationally recognised government, led since 2022 by the "
            "Presidential Leadership Council."),
    _anchor("Government of South Sudan", "", S, "SS", NATIONAL, "sc", "RG", "SS"),
    _anchor("Government of Syria", "", S, "SY", NATIONAL, "slc", "RG", "SY",
            description="Syria's transitional government, in office since the fall of the Assad "
            "government in December 2024."),
    # Intergovernmental organisations and their country offices
    _anchor("United Nations Development Programme", "UNDP", IGO, "US", GLOBAL, "fpcr", "RCXIGW",
            "*", iati="XM-DAC-41114", crs="41114", website="https://www.undp.org"),
    _anchor("UNDP Yemen", "", IGO, "YE", NATIONAL, "pcg", "RWH", "YE",
            parent="United Nations Development Programme", website="https://www.undp.org/yemen"),
    _anchor("Office of the United Nations High Commissioner for Refugees", "UNHCR", IGO, "CH",
            GLOBAL, "fplgk", "DW", "*", crs="41121", website="https://www.unhcr.org"),
    _anchor("UNHCR Bangladesh", "", IGO, "BD", NATIONAL, "plg", "DW", "BD",
            parent="Office of the United Nations High Commissioner for Refugees"),
    _anchor("UNHCR Chad", "", IGO, "TD", NATIONAL, "plg", "DW", "TD",
            parent="Office of the United Nations High Commissioner for Refugees"),
    _anchor("United Nations Entity for Gender Equality and the Empowerment of Women", "UN Women",
            IGO, "US", GLOBAL, "fcr", "WDCIY", "*", crs="41146", women_led=True,
            website="https://www.unwomen.org"),
    _anchor("United Nations Children's Fund", "UNICEF", IGO, "US", GLOBAL, "fplg", "DHRF", "*",
            crs="41122", website="https://www.unicef.org"),
    _anchor("World Food Programme", "WFP", IGO, "IT", GLOBAL, "fpgr", "FDC", "*", crs="41140",
            website="https://www.wfp.org"),
    _anchor("United Nations Population Fund", "UNFPA", IGO, "US", GLOBAL, "fpr", "WDH", "*",
            crs="41119", website="https://www.unfpa.org"),
    _anchor("International Organization for Migration", "IOM", IGO, "CH", GLOBAL, "pgr", "DC", "*",
            crs="47066", website="https://www.iom.int"),
    _anchor("United Nations Office for the Coordination of Humanitarian Affairs", "OCHA", IGO,
            "US", GLOBAL, "cr", "DRHF", "*", website="https://www.unocha.org"),
    _anchor("Food and Agriculture Organization of the United Nations", "FAO", IGO, "IT", GLOBAL,
            "pr", "FC", "*", website="https://www.fao.org"),
    _anchor("United Nations Environment Programme", "UNEP", IGO, "KE", GLOBAL, "rc", "C", "*",
            crs="41116", website="https://www.unep.org"),
    _anchor("United Nations Peacebuilding Fund", "PBF", IGO, "US", GLOBAL, "fc", "RWCG", "*",
            crs="41141", website="https://www.un.org/peacebuilding/fund"),
    _anchor("World Bank", "", IGO, "US", GLOBAL, "fr", "RCFG", "*", crs="44000",
            website="https://www.worldbank.org"),
    _anchor("World Health Organization", "WHO", IGO, "CH", GLOBAL, "rpc", "H", "*",
            website="https://www.who.int"),
    _anchor("African Union", "AU", IGO, "ET", REGIONAL, "cs", "GWCX", "SS SD TD ML NE BF KE NG CM",
            crs="47005", website="https://au.int"),
    _anchor("Intergovernmental Authority on Development", "IGAD", IGO, "DJ", REGIONAL, "cs", "RG",
            "SS SD KE", website="https://igad.int"),
    _anchor("European Union", "EU", IGO, "BE", GLOBAL, "fcl", "RDCIG", "*",
            website="https://european-union.europa.eu"),
    _anchor("European External Action Service", "EEAS", IGO, "BE", GLOBAL, "crm", "IG", "*",
            parent="European Union", website="https://www.eeas.europa.eu",
            description="The EU's diplomatic service; its East StratCom Task Force runs "
            "EUvsDisinfo."),
    _anchor("Organization for Security and Co-operation in Europe", "OSCE", IGO, "AT", REGIONAL,
            "cl", "GI", "MD UA", website="https://www.osce.org"),
    _anchor("Lake Chad Basin Commission", "LCBC", IGO, "TD", REGIONAL, "cr", "CF", "TD NE NG CM"),
    # NGOs
    _anchor("International Committee of the Red Cross", "ICRC", NGO, "CH", GLOBAL, "pglk", "RDHG",
            "*", crs="21016", website="https://www.icrc.org",
            description="Neutral, impartial humanitarian organisation protecting people affected "
            "by armed conflict; works on both sides of front lines."),
    _anchor("International Rescue Committee", "IRC", NGO, "US", GLOBAL, "pgr", "DWH", "*",
            crs="21506", website="https://www.rescue.org"),
    _anchor("Norwegian Refugee Council", "NRC", NGO, "NO", GLOBAL, "pgl", "DR", "*",
            website="https://www.nrc.no"),
    _anchor("Save the Children UK", "", NGO, "GB", GLOBAL, "pfk", "DHF", "*", iati="GB-COH-213890",
            website="https://www.savethechildren.org.uk"),
    _anchor("Oxfam International", "Oxfam", NGO, "KE", GLOBAL, "pcm", "FHDW", "*", crs="21501",
            website="https://www.oxfam.org"),
    _anchor("CARE International", "CARE", NGO, "CH", GLOBAL, "pk", "WFD", "*",
            website="https://www.care-international.org"),
    _anchor("Médecins Sans Frontières", "MSF", NGO, "CH", GLOBAL, "pg", "HD", "*", crs="21029",
            website="https://www.msf.org"),
    _anchor("Danish Refugee Council", "DRC", NGO, "DK", GLOBAL, "pgl", "DR", "*",
            website="https://pro.drc.ngo"),
    _anchor("Mercy Corps", "", NGO, "US", GLOBAL, "pr", "CFR", "*",
            website="https://www.mercycorps.org"),
    _anchor("Search for Common Ground", "", NGO, "US", GLOBAL, "cmk", "XIGW", "*",
            website="https://www.sfcg.org"),
    _anchor("Saferworld", "", NGO, "GB", GLOBAL, "cr", "GWX", "*",
            website="https://www.saferworld-global.org"),
    _anchor("International Alert", "", NGO, "GB", GLOBAL, "cr", "CWX", "*",
            website="https://www.international-alert.org"),
    _anchor("BRAC", "", NGO, "BD", NATIONAL, "pk", "DWFH", "BD",
            website="https://www.brac.net"),
    _anchor("Internews", "", NGO, "US", GLOBAL, "mt", "IY", "*", website="https://internews.org"),
    _anchor("Access Now", "", NGO, "US", GLOBAL, "tl", "YI", "*",
            website="https://www.accessnow.org",
            description="Digital rights organisation; runs a round-the-clock Digital Security "
            "Helpline for civil society."),
    _anchor("Women's Refugee Commission", "WRC", NGO, "US", GLOBAL, "rl", "DW", "*",
            women_led=True, website="https://www.womensrefugeecommission.org"),
    _anchor("Tech Against Terrorism", "", NGO, "GB", GLOBAL, "tr", "XY", "*",
            website="https://techagainstterrorism.org"),
    _anchor("Global Internet Forum to Counter Terrorism", "GIFCT", NGO, "US", GLOBAL, "tc", "X",
            "*", website="https://gifct.org"),
    _anchor("Syrian American Medical Society", "SAMS", DIA, "US", GLOBAL, "fpk", "HRG", "SY TR",
            origin="SY", website="https://www.sams-usa.net",
            description="Medical relief organisation founded by Syrian-American doctors; runs "
            "hospitals and clinics in Syria."),
    # Firms
    _anchor("Microsoft", "", FIRM, "US", GLOBAL, "tfr", "IYX", "*",
            website="https://www.microsoft.com"),
    _anchor("Meta Platforms", "Meta", FIRM, "US", GLOBAL, "tm", "IXY", "*",
            website="https://about.meta.com"),
    _anchor("Google", "", FIRM, "US", GLOBAL, "tmr", "IXY", "*", website="https://about.google"),
    _anchor("Jigsaw", "", FIRM, "US", GLOBAL, "tr", "XIY", "*", parent="Google",
            website="https://jigsaw.google.com",
            description="Google unit that builds technology against online threats such as violent "
            "extremism, harassment and disinformation."),
    _anchor("TikTok", "", FIRM, "SG", GLOBAL, "tm", "IX", "*", website="https://www.tiktok.com"),
    _anchor("Telegram", "", FIRM, "AE", GLOBAL, "tm", "IX", "*", website="https://telegram.org"),
    _anchor("Safaricom", "", FIRM, "KE", NATIONAL, "tmf", "I", "KE",
            website="https://www.safaricom.co.ke"),
    _anchor("Grameenphone", "", FIRM, "BD", NATIONAL, "tm", "D", "BD",
            website="https://www.grameenphone.com"),
    _anchor("Orange", "", FIRM, "FR", GLOBAL, "tf", "IC", "ML NE BF", website="https://www.orange.com"),
    _anchor("Orange Mali", "", FIRM, "ML", NATIONAL, "tm", "CXF", "ML", parent="Orange"),
    _anchor("Moonshot", "", FIRM, "GB", GLOBAL, "tr", "XI", "*", website="https://moonshotteam.com",
            description="Company that designs online interventions against violent extremism and "
            "other online harms."),
    _anchor("Planet Labs", "", FIRM, "US", GLOBAL, "tr", "CF", "*", website="https://www.planet.com"),
    _anchor("A.P. Moller - Maersk", "Maersk", FIRM, "DK", GLOBAL, "g", "DF", "*",
            website="https://www.maersk.com"),
    _anchor("Crimson Reach Digital", "", FIRM, "KE", NATIONAL, "tm", "I", "KE",
            description="Nairobi digital marketing agency that researchers link to paid hashtag "
            f"campaigns during elections. {INVENTED}"),
    _anchor("Sahel Agro-Pastoral Holdings", "", FIRM, "ML", NATIONAL, "fg", "CF", "ML BF",
            description="Agribusiness acquiring irrigated land in the inner Niger delta; contests "
            f"transhumance corridors. {INVENTED}"),
    _anchor("Aden Reconstruction Contractors Group", "", FIRM, "YE", NATIONAL, "gl", "R", "YE",
            description=f"Consortium of Yemeni building contractors. {INVENTED}"),
    # Foundations
    _anchor("Gates Foundation", "", FOUND, "US", GLOBAL, "fr", "HFW", "*", iati="DAC-1601",
            website="https://www.gatesfoundation.org"),
    _anchor("Open Society Foundations", "OSF", FOUND, "US", GLOBAL, "fl", "GIYW", "*",
            website="https://www.opensocietyfoundations.org"),
    _anchor("Ford Foundation", "", FOUND, "US", GLOBAL, "f", "GWY", "*",
            website="https://www.fordfoundation.org"),
    _anchor("Wellcome", "", FOUND, "GB", GLOBAL, "fr", "HC", "*", website="https://wellcome.org"),
    _anchor("Wikimedia Foundation", "", FOUND, "US", GLOBAL, "tm", "IY", "*",
            website="https://wikimediafoundation.org"),
    _anchor("Mama Cash", "", FOUND, "NL", GLOBAL, "f", "WY", "*", women_led=True,
            website="https://www.mamacash.org"),
    _anchor("Global Fund for Women", "", FOUND, "US", GLOBAL, "f", "WY", "*", women_led=True,
            website="https://www.globalfundforwomen.org"),
    _anchor("Global Community Engagement and Resilience Fund", "GCERF", FOUND, "CH", GLOBAL, "fc",
            "X", "*", website="https://www.gcerf.org"),
    _anchor("Robert Bosch Stiftung", "", FOUND, "DE", GLOBAL, "fc", "CGW", "*",
            website="https://www.bosch-stiftung.de"),
    _anchor("Aga Khan Foundation", "AKF", FOUND, "CH", GLOBAL, "fp", "FHR", "*",
            website="https://the.akdn"),
    _anchor("Luminate", "", FOUND, "GB", GLOBAL, "f", "IY", "*",
            website="https://luminategroup.com"),
    # Media
    _anchor("BBC Media Action", "", MED, "GB", GLOBAL, "mr", "IWDH", "*",
            website="https://www.bbc.co.uk/mediaaction"),
    _anchor("DW Akademie", "", MED, "DE", GLOBAL, "m", "I", "*", website="https://akademie.dw.com"),
    _anchor("Fondation Hirondelle", "", MED, "CH", GLOBAL, "mk", "IXC", SAHEL,
            website="https://www.hirondelle.org"),
    _anchor("Studio Tamani", "", MED, "ML", NATIONAL, "mk", "XCI", "ML",
            parent="Fondation Hirondelle", website="https://www.studiotamani.org"),
    _anchor("Radio Ndarason Internationale", "RNI", MED, "TD", REGIONAL, "mk", "XC",
            "TD NE NG CM"),
    _anchor("Radio Dabanga", "", MED, "NL", REGIONAL, "mk", "DWG", "SD TD",
            website="https://www.dabangasudan.org"),
    _anchor("StopFake", "", MED, "UA", NATIONAL, "mr", "I", "UA", website="https://www.stopfake.org"),
    _anchor("Africa Check", "", MED, "ZA", REGIONAL, "mr", "I", "KE", website="https://africacheck.org"),
    _anchor("PesaCheck", "", MED, "KE", REGIONAL, "mr", "I", "KE", website="https://pesacheck.org"),
    _anchor("Hromadske", "", MED, "UA", NATIONAL, "m", "I", "UA", website="https://hromadske.ua"),
    _anchor("RT", "", MED, "RU", GLOBAL, "m", "I", "UA MD", website="https://www.rt.com",
            description="Russian state-funded international broadcaster; its broadcasting in the "
            "EU has been suspended since 2022."),
    _anchor("Bellingcat", "", MED, "NL", GLOBAL, "rm", "IGX", "*",
            website="https://www.bellingcat.com"),
    _anchor("Radio Miraya", "", MED, "SS", NATIONAL, "mk", "RG", "SS",
            description="Radio station of the UN Mission in South Sudan (UNMISS)."),
    # Faith-based organisations
    _anchor("Islamic Relief Worldwide", "", FAITH, "GB", GLOBAL, "fpk", "DRF", "*",
            website="https://www.islamic-relief.org"),
    _anchor("Caritas Internationalis", "", FAITH, "VA", GLOBAL, "pk", "DF", "*",
            website="https://www.caritas.org"),
    _anchor("World Vision International", "", FAITH, "US", GLOBAL, "pfk", "DFH", "*",
            website="https://www.wvi.org"),
    _anchor("Lutheran World Federation", "LWF", FAITH, "CH", GLOBAL, "pk", "DC", "*",
            website="https://lutheranworld.org"),
    _anchor("Norwegian Church Aid", "", FAITH, "NO", GLOBAL, "pk", "RCW", "*",
            website="https://www.kirkensnodhjelp.no"),
    _anchor("Community of Sant'Egidio", "", FAITH, "IT", GLOBAL, "ck", "G", "SS SD",
            website="https://www.santegidio.org",
            description="Catholic lay community; hosts the Rome talks between South Sudan's "
            "government and the groups that did not sign the 2018 agreement."),
    _anchor("South Sudan Council of Churches", "SSCC", FAITH, "SS", NATIONAL, "ck", "RGW", "SS"),
    _anchor("Adyan Foundation", "", FAITH, "LB", REGIONAL, "cr", "XG", "LB SY",
            website="https://adyanfoundation.org"),
    _anchor("Inter-Religious Council of Kenya", "IRCK", FAITH, "KE", NATIONAL, "ck", "IGX", "KE"),
    # Academic institutions and think tanks
    _anchor("International Crisis Group", "", ACA, "BE", GLOBAL, "rc", "GXCW", "*", crs="21058",
            website="https://www.crisisgroup.org"),
    _anchor("Stockholm International Peace Research Institute", "SIPRI", ACA, "SE", GLOBAL, "r",
            "CG", "*", website="https://www.sipri.org"),
    _anchor("Chatham House", "", ACA, "GB", GLOBAL, "rc", "GIR", "*",
            website="https://www.chathamhouse.org"),
    _anchor("Institute for Strategic Dialogue", "ISD", ACA, "GB", GLOBAL, "rt", "XI", "*",
            website="https://www.isdglobal.org"),
    _anchor("Digital Forensic Research Lab", "DFRLab", ACA, "US", GLOBAL, "r", "I", "*",
            website="https://dfrlab.org"),
    _anchor("Sana'a Center for Strategic Studies", "", ACA, "YE", NATIONAL, "rc", "RWG", "YE",
            website="https://sanaacenter.org"),
    _anchor("The Sudd Institute", "", ACA, "SS", NATIONAL, "r", "RG", "SS",
            website="https://www.suddinstitute.org"),
    _anchor("Timbuktu Institute", "", ACA, "SN", REGIONAL, "r", "XC", "ML NE BF",
            website="https://timbuktu-institute.org"),
    _anchor("adelphi", "", ACA, "DE", GLOBAL, "rc", "C", "*", website="https://adelphi.de"),
    _anchor("Armed Conflict Location & Event Data", "ACLED", ACA, "US", GLOBAL, "r", "GXC", "*",
            website="https://acleddata.com"),
    _anchor("Oxford Internet Institute", "OII", ACA, "GB", GLOBAL, "r", "IY", "*",
            website="https://www.oii.ox.ac.uk"),
    _anchor("Georgetown Institute for Women, Peace and Security", "GIWPS", ACA, "US", GLOBAL, "rc",
            "W", "*", website="https://giwps.georgetown.edu"),
    _anchor("EU DisinfoLab", "", ACA, "BE", REGIONAL, "r", "I", "*", website="https://www.disinfo.eu"),
    # Women's groups and networks
    _anchor("Women's International League for Peace and Freedom", "WILPF", WG, "CH", GLOBAL, "clk",
            "WG", "*", women_led=True, website="https://www.wilpf.org"),
    _anchor("Kvinna till Kvinna Foundation", "", WG, "SE", GLOBAL, "fk", "W", "*", women_led=True,
            website="https://kvinnatillkvinna.org"),
    _anchor("Global Network of Women Peacebuilders", "GNWP", WG, "US", GLOBAL, "ck", "W", "*",
            women_led=True, website="https://gnwp.org"),
    _anchor("FemWise-Africa", "", WG, "ET", REGIONAL, "c", "WG", "SS SD ML NE BF TD KE",
            parent="African Union", women_led=True,
            description="African Union network of women in conflict prevention and mediation."),
    _anchor("International Civil Society Action Network", "ICAN", WG, "US", GLOBAL, "ck", "WX", "*",
            women_led=True, website="https://icanpeacework.org"),
)  # fmt: skip


# --- generated local actors (invented) ------------------------------------------------------------


@dataclass(frozen=True)
class CountryProfile:
    code: str
    places: tuple[str, ...]
    themes: str
    conflict: bool
    faith: str  # which faith-based templates fit: muslim, christian, orthodox, mixed
    kinds: tuple[tuple[str, int], ...]  # (kind, how many local actors of it)
    also_works_in: tuple[str, ...] = ()  # refugee hosts: the displaced community's country


def _counts(women=0, grassroots=0, ngo=0, faith=0, media=0, academic=0):
    return tuple(
        (kind, n)
        for kind, n in (
            (WG, women),
            (GRASS, grassroots),
            (NGO, ngo),
            (FAITH, faith),
            (MED, media),
            (ACA, academic),
        )
        if n
    )


COUNTRY_PROFILES = (
    CountryProfile("YE", ("Taiz", "Aden", "Marib", "Hodeidah", "Mukalla", "Ibb", "Lahj"), "RWH",
                   True, "muslim", _counts(3, 2, 2, 1, 1)),
    CountryProfile("SY", ("Idlib", "Aleppo", "Raqqa", "Deir ez-Zor", "Homs", "Daraa", "Qamishli"),
                   "RGW", True, "mixed", _counts(3, 2, 2, 1, 1)),
    CountryProfile("SS", ("Juba", "Malakal", "Bor", "Wau", "Bentiu", "Yambio", "Torit"), "RGW",
                   True, "christian", _counts(2, 2, 2, 1, 1)),
    CountryProfile("BD", ("Cox's Bazar", "Ukhiya", "Teknaf", "Kutupalong", "Balukhali"), "DW", True,
                   "muslim", _counts(3, 2, 2, 1, 1), also_works_in=("MM",)),
    CountryProfile("MM", ("Sittwe", "Maungdaw", "Buthidaung", "Mrauk-U"), "DG", True, "mixed",
                   _counts(2, 1, 1, 0, 1)),
    CountryProfile("TD", ("Adré", "Abéché", "Farchana", "Goz Beïda", "Iriba", "Bol", "N'Djamena"),
                   "DCWF", True, "muslim", _counts(3, 2, 2, 1, 1), also_works_in=("SD",)),
    CountryProfile("SD", ("El Fasher", "Nyala", "El Geneina", "Kassala", "Port Sudan", "Kadugli"),
                   "WDG", True, "muslim", _counts(3, 2, 1, 0, 1)),
    CountryProfile("ML", ("Mopti", "Ségou", "Gao", "Timbuktu", "Bamako", "Sévaré"), "CXF", True,
                   "muslim", _counts(2, 2, 2, 1, 1)),
    CountryProfile("NE", ("Tillabéri", "Diffa", "Agadez", "Maradi", "Niamey", "Tahoua"), "CXF",
                   True, "muslim", _counts(2, 2, 1, 1, 1)),
    CountryProfile("BF", ("Djibo", "Dori", "Ouahigouya", "Kaya", "Fada N'Gourma", "Bobo-Dioulasso"),
                   "CXF", True, "mixed", _counts(2, 2, 1, 1, 1)),
    CountryProfile("NG", ("Maiduguri", "Monguno", "Bama"), "CX", True, "muslim",
                   _counts(1, 1, 1, 0, 1)),
    CountryProfile("CM", ("Maroua", "Kousséri", "Mokolo"), "CX", True, "mixed", _counts(1, 1, 1)),
    CountryProfile("UA", ("Kharkiv", "Mykolaiv", "Odesa", "Dnipro", "Chernihiv", "Zaporizhzhia"),
                   "IR", True, "orthodox", _counts(1, 1, 2, 0, 2, 1)),
    CountryProfile("MD", ("Chișinău", "Bălți", "Comrat", "Cahul", "Ungheni"), "IG", False,
                   "orthodox", _counts(1, 1, 2, 0, 2)),
    CountryProfile("KE", ("Nairobi", "Mombasa", "Kisumu", "Garissa", "Eldoret", "Nakuru"), "IGW",
                   False, "christian", _counts(2, 2, 2, 0, 1, 1)),
    CountryProfile("TR", ("Gaziantep", "Şanlıurfa", "Hatay"), "RD", False, "muslim",
                   _counts(1, 0, 2), also_works_in=("SY",)),
    CountryProfile("JO", ("Amman", "Irbid", "Mafraq"), "D", False, "muslim", _counts(1, 0, 1),
                   also_works_in=("SY",)),
    CountryProfile("LB", ("Beirut", "Tripoli", "Zahlé"), "D", False, "mixed", _counts(1, 0, 1),
                   also_works_in=("SY",)),
)  # fmt: skip

ANY = "any"
LOCAL_NAME_TEMPLATES = {
    WG: {
        ANY: ("{place} Women's Peace Network", "Women of {place} for Peace",
              "{place} Women's Solidarity Association", "{place} Mothers' Mediation Circle",
              "{place} Women's Legal Aid Collective", "{place} Young Women Leaders' Forum"),
        Theme.CLIMATE_SECURITY: ("{place} Women Farmers' Cooperative",
                                 "{place} Women Herders' Association"),
        Theme.FOOD_SECURITY: ("{place} Women Farmers' Cooperative",),
        Theme.DISPLACEMENT: ("{place} Displaced Women's Committee",
                             "{place} Safe Space Volunteers"),
        Theme.DISINFORMATION: ("{place} Women in Media Network",
                               "{place} Women Candidates' Support Network"),
    },
    GRASS: {
        ANY: ("{place} Youth for Peace", "{place} Neighbourhood Peace Committee"),
        Theme.RECONSTRUCTION: ("{place} Community Reconstruction Committee",
                               "{place} Residents' Water Committee"),
        Theme.CLIMATE_SECURITY: ("{place} Farmers' and Herders' Dialogue Committee",
                                 "{place} Green Belt Volunteers"),
        Theme.VIOLENT_EXTREMISM: ("{place} Youth Against Violence",
                                  "{place} Young Voices Collective"),
        Theme.DISINFORMATION: ("{place} Digital Volunteers", "{place} Citizens' Election Watch"),
        Theme.DISPLACEMENT: ("{place} Refugee Youth Volunteers", "{place} Camp Community Watch"),
    },
    NGO: {
        ANY: ("{place} Relief and Development Organisation", "{place} Civic Initiative",
              "{place} Human Rights Monitors", "{place} Foundation for Community Development"),
        Theme.RECONSTRUCTION: ("{place} Reconstruction and Livelihoods Association",),
        Theme.HEALTH_SECURITY: ("{place} Community Health Association",),
        Theme.DISINFORMATION: ("{place} Centre for Media Literacy", "{place} Open Data Lab"),
        Theme.CLIMATE_SECURITY: ("{place} Association for Pastoral Development",),
    },
    FAITH: {
        "muslim": ("{place} Islamic Charitable Society", "{place} Council of Imams for Peace"),
        "christian": ("{place} Diocesan Justice and Peace Commission",
                      "{place} Churches' Relief Committee"),
        "orthodox": ("{place} Parish Volunteers' Network",),
        "mixed": ("{place} Interfaith Peace Council",),
    },
    MED: {
        ANY: ("Radio {place} Community FM", "{place} Independent Media Hub",
              "{place} Fact-Check Desk", "{place} Citizen Journalists' Network"),
    },
    ACA: {
        ANY: ("{place} Centre for Peace and Development Studies",
              "{place} Policy Research Institute"),
    },
}  # fmt: skip

LEAD_INS = {
    WG: "Women-led group in {where} that",
    GRASS: "Volunteer movement in {where} that",
    NGO: "Local NGO in {where} that",
    FAITH: "Faith-based network in {where} that",
    MED: "Local media outlet in {where} that",
    ACA: "Research centre in {where} that",
    DIA: "{adjective} diaspora group in {where} that",
}
ACTIVITIES = {
    Theme.RECONSTRUCTION: (
        "helps women-headed households rebuild homes and small businesses",
        "maps damaged water points and schools with residents",
    ),
    Theme.DISPLACEMENT: (
        "runs safe spaces and refers survivors of gender-based violence to case management",
        "helps displaced families obtain civil documents and find shelter",
    ),
    Theme.CLIMATE_SECURITY: (
        "brings farmers and herders together over water points and grazing routes",
        "organises women farmers around seed banks and water harvesting",
    ),
    Theme.VIOLENT_EXTREMISM: (
        "works with mothers and teachers to spot and counter the recruitment of young people",
        "offers young people sport, skills and a voice as an alternative to armed groups",
    ),
    Theme.DISINFORMATION: (
        "checks viral claims in local languages and trains others to do so",
        "monitors online abuse of women journalists and candidates",
    ),
    Theme.WOMEN_PEACE_SECURITY: (
        "trains women mediators and documents women's priorities for local truces",
        "pushes for women's seats in local peace committees",
    ),
    Theme.HEALTH_SECURITY: (
        "trains community health volunteers and promotes hygiene in displacement sites",
    ),
    Theme.FOOD_SECURITY: ("distributes seed and runs cash-for-work in the lean season",),
    Theme.GOVERNANCE: (
        "documents violations and supports families of the missing",
        "campaigns for women's access to justice and civil documentation",
    ),
}

# Diaspora associations: (host country, host city, country of origin, adjective, form).
DIASPORA_GROUPS = (
    ("GB", "London", "YE", "Yemeni", "Women's Association"),
    ("GB", "Sheffield", "YE", "Yemeni", "Community Association"),
    ("US", "Dearborn", "YE", "Yemeni American", "Youth Network"),
    ("DE", "Berlin", "SY", "Syrian", "Women's Network"),
    ("SE", "Stockholm", "SY", "Syrian", "Diaspora Forum"),
    ("US", "Omaha", "SS", "South Sudanese", "Community Association"),
    ("KE", "Nairobi", "SS", "South Sudanese", "Youth Network"),
    ("MY", "Kuala Lumpur", "MM", "Rohingya", "Women's Association"),
    ("CA", "Toronto", "MM", "Rohingya", "Diaspora Forum"),
    ("EG", "Cairo", "SD", "Sudanese", "Women's Association"),
    ("GB", "London", "SD", "Sudanese", "Professionals' Network"),
    ("FR", "Montreuil", "ML", "Malian", "Community Association"),
    ("BE", "Brussels", "BF", "Burkinabè", "Diaspora Forum"),
    ("PL", "Warsaw", "UA", "Ukrainian", "Community Association"),
    ("IT", "Rome", "MD", "Moldovan", "Community Association"),
    ("GB", "London", "KE", "Kenyan", "Diaspora Forum"),
)
CONFLICT_ORIGINS = frozenset({"YE", "SY", "SS", "MM", "SD", "ML", "BF"})
PROFILE_THEMES = {profile.code: profile.themes for profile in COUNTRY_PROFILES}


def _round(value: float) -> float:
    return round(min(max(value, 0.0), 1.0), 2)


def _sectors_for(kind: str, themes: tuple[str, ...], limit: int = 5) -> tuple[str, ...]:
    codes: list[str] = []
    if kind == WG:
        codes += ["15170", "15180"]
    if kind == MED:
        codes.append("15153")
    for theme in themes:
        for code in THEME_SECTORS[Theme(theme)][:2]:
            if code not in codes:
                codes.append(code)
    return tuple(sorted(codes[:limit]))


def _local_capabilities(rng: random.Random, kind: str, theme: str) -> int:
    base = {
        WG: "pk",
        GRASS: "pk",
        NGO: "p",
        FAITH: "kc",
        MED: "m",
        ACA: "r",
        DIA: "ck",
    }[kind]
    extras = {
        WG: (("c", 0.5), ("l", 0.2), ("r", 0.2), ("m", 0.2)),
        GRASS: (("c", 0.3), ("m", 0.3), ("t", 0.15)),
        NGO: (("k", 0.6), ("g", 0.3), ("l", 0.3), ("r", 0.3)),
        FAITH: (("p", 0.6), ("g", 0.3)),
        MED: (("r", 0.4), ("k", 0.5), ("t", 0.3)),
        ACA: (("c", 0.5), ("t", 0.2)),
        DIA: (("f", 0.5), ("m", 0.4), ("l", 0.2)),
    }[kind]
    codes = base + "".join(code for code, p in extras if rng.random() < p)
    if theme == Theme.DISINFORMATION and rng.random() < 0.5:
        codes += "t"
    return _capabilities(codes)


def _local_sensitivity(rng: random.Random, kind: str, conflict: bool, refugee_led: bool) -> str:
    """Local women's, grassroots and refugee-led groups in conflict zones are the ones at risk."""
    if kind in (WG, GRASS) and conflict:
        p_restricted, p_confidential = 0.38, 0.12
    elif refugee_led or (kind == DIA and conflict):
        p_restricted, p_confidential = 0.3, 0.05
    elif conflict and kind in (NGO, MED):
        p_restricted, p_confidential = 0.08, 0.0
    else:
        return Sensitivity.PUBLIC
    draw = rng.random()
    if draw < p_confidential:
        return Sensitivity.CONFIDENTIAL
    if draw < p_confidential + p_restricted:
        return Sensitivity.RESTRICTED
    return Sensitivity.PUBLIC


def _women_leadership(rng: random.Random, kind: str) -> tuple[bool, float | None]:
    if kind == WG:
        return True, _round(rng.uniform(0.75, 1.0))
    if rng.random() < 0.2:
        return True, _round(rng.uniform(0.5, 0.9))
    if rng.random() < 0.35:
        return False, None
    return False, _round(rng.uniform(0.05, 0.45))


def _local_actor(
    rng: random.Random,
    *,
    kind: str,
    name: str,
    country: str,
    where: str,
    theme: str,
    themes: tuple[str, ...],
    works_in: tuple[str, ...],
    conflict: bool,
    refugee_led: bool = False,
    origin: str = "",
    adjective: str = "",
) -> StakeholderSpec:
    activity = rng.choice(ACTIVITIES[Theme(theme)])
    lead_in = LEAD_INS[kind].format(where=where, adjective=adjective)
    women_led, share = _women_leadership(rng, kind)
    if kind in (MED, ACA):
        digital = rng.choice(
            (DigitalPresence.BASIC, DigitalPresence.ACTIVE, DigitalPresence.STRONG)
        )
    else:
        digital = rng.choice(
            (
                DigitalPresence.NONE,
                DigitalPresence.BASIC,
                DigitalPresence.BASIC,
                DigitalPresence.ACTIVE,
            )
        )
    scope = Scope.NATIONAL if kind == ACA else Scope.LOCAL
    return StakeholderSpec(
        name=name,
        kind=kind,
        country=country,
        scope=scope,
        capabilities=_local_capabilities(rng, kind, theme),
        digital_presence=int(digital),
        women_led=women_led,
        women_leadership_share=share,
        sensitivity=_local_sensitivity(rng, kind, conflict, refugee_led),
        description=f"{lead_in} {activity}. {INVENTED}",
        country_of_origin=origin,
        sectors=_sectors_for(kind, themes),
        themes=themes,
        works_in=works_in,
    )


def _generated_actors(rng: random.Random, taken: set[StakeholderKey]) -> list[StakeholderSpec]:
    actors = []
    for profile in COUNTRY_PROFILES:
        country_name = countries.name(profile.code)
        theme_values = _themes(profile.themes)
        for kind, how_many in profile.kinds:
            for _ in range(how_many):
                theme = rng.choice(theme_values)
                templates = LOCAL_NAME_TEMPLATES[kind]
                if kind == FAITH:
                    options = templates[profile.faith]
                else:
                    options = templates.get(theme, ()) + templates[ANY]
                # Draw until the name is new; the draws are seeded, so the result is fixed.
                for _attempt in range(50):
                    place = rng.choice(profile.places)
                    name = rng.choice(options).format(place=place)
                    if (name, profile.code) not in taken:
                        break
                else:  # pragma: no cover - the name parts are ample
                    raise RuntimeError(f"no free demo name for {kind} in {profile.code}")
                taken.add((name, profile.code))
                # Groups in refugee-hosting places are often led by the displaced themselves.
                refugee_led = bool(profile.also_works_in) and rng.random() < 0.5
                extra = tuple(t for t in theme_values if t != theme and rng.random() < 0.5)
                actors.append(
                    _local_actor(
                        rng,
                        kind=kind,
                        name=name,
                        country=profile.code,
                        where=f"{place}, {country_name}",
                        theme=theme,
                        themes=(theme, *extra),
                        works_in=(profile.code, *profile.also_works_in),
                        conflict=profile.conflict or refugee_led,
                        refugee_led=refugee_led,
                    )
                )
    for host, city, origin, adjective, form in DIASPORA_GROUPS:
        name = f"{adjective} {form} of {city}"
        taken.add((name, host))
        themes = _themes(PROFILE_THEMES.get(origin, "G"))
        theme = rng.choice(themes)
        actors.append(
            _local_actor(
                rng,
                kind=DIA,
                name=name,
                country=host,
                where=f"{city}, {countries.name(host)}",
                theme=theme,
                themes=themes,
                works_in=(origin,),
                conflict=origin in CONFLICT_ORIGINS,
                origin=origin,
                adjective=adjective,
            )
        )
    return actors


def _anchor_specs() -> list[StakeholderSpec]:
    specs: list[StakeholderSpec] = []
    by_name: dict[str, StakeholderSpec] = {}
    for anchor in ANCHORS:
        parent_name = anchor["parent_name"]
        parent = by_name[parent_name].key if parent_name else None
        digital = anchor["digital_presence"]
        if digital is None:
            digital = (
                DigitalPresence.STRONG
                if anchor["scope"] == GLOBAL or anchor["kind"] in (FIRM, MED)
                else DigitalPresence.ACTIVE
            )
        spec = StakeholderSpec(
            name=anchor["name"],
            kind=anchor["kind"],
            country=anchor["country"],
            acronym=anchor["acronym"],
            scope=anchor["scope"],
            parent=parent,
            capabilities=anchor["capabilities"],
            digital_presence=int(digital),
            women_led=anchor["women_led"],
            description=anchor["description"],
            website=anchor["website"],
            country_of_origin=anchor["country_of_origin"],
            sectors=_sectors_for(anchor["kind"], anchor["themes"]),
            external_ids=anchor["external_ids"],
            themes=anchor["themes"],
            works_in=anchor["works_in"],
        )
        specs.append(spec)
        by_name[spec.name] = spec
    return specs


# --- stakes --------------------------------------------------------------------------------------

# How much say each kind of actor usually has over an outcome (before noise).
BASE_INFLUENCE = {
    S: 0.72,
    IGO: 0.68,
    FOUND: 0.55,
    FIRM: 0.45,
    NGO: 0.45,
    WG: 0.3,
    GRASS: 0.2,
    DIA: 0.25,
    MED: 0.4,
    ACA: 0.32,
    FAITH: 0.4,
}
# Chances of a neutral or opposing position by kind; everyone else mostly supports.
POSITION_ODDS = {S: (0.18, 0.06), FIRM: (0.25, 0.07), MED: (0.1, 0.03), FAITH: (0.1, 0.0)}
STAKE_SOURCES = (
    "Demo: stakeholder mapping workshop, 2025",
    "Demo: IATI activity data",
    "Demo: annual report",
    "Demo: key informant interview",
    "Demo: public statement",
)

# Positions that are the point of the scenario rather than chance: (actor, outcome) → values.
EXPLICIT_STAKES = {
    ("Government of the Russian Federation", "ukraine_information"): (
        0.95, 0.8, Position.OPPOSES, "State media and proxy channels run sustained campaigns."),
    ("Government of the Russian Federation", "moldova_elections"): (
        0.9, 0.7, Position.OPPOSES, "Documented vote-buying networks and paid online campaigns."),
    ("RT", "ukraine_information"): (0.9, 0.5, Position.OPPOSES, ""),
    ("RT", "moldova_elections"): (0.85, 0.45, Position.OPPOSES, ""),
    ("Crimson Reach Digital", "kenya_elections"): (
        0.8, 0.35, Position.OPPOSES, "Paid hashtag campaigns against women candidates."),
    ("Sahel Agro-Pastoral Holdings", "farmer_herder"): (
        0.7, 0.45, Position.OPPOSES, "Fences off land on traditional transhumance corridors."),
    ("Telegram", "sahel_recruitment"): (0.3, 0.7, Position.NEUTRAL, "Limited moderation of "
                                        "local-language channels."),
    ("Telegram", "online_recruitment"): (0.35, 0.75, Position.NEUTRAL, ""),
    ("Telegram", "ukraine_information"): (0.4, 0.8, Position.NEUTRAL, ""),
    ("Government of Bangladesh", "rakhine_return"): (
        0.95, 0.6, Position.SUPPORTS, "Wants repatriation to start soon."),
    ("Government of Bangladesh", "rohingya_women"): (0.6, 0.85, Position.SUPPORTS, ""),
    ("Government of Saudi Arabia", "yemen_women_peace"): (0.4, 0.7, Position.NEUTRAL, ""),
    ("UN Women", "yemen_women_peace"): (1.0, 0.6, Position.SUPPORTS, ""),
    ("Meta Platforms", "kenya_elections"): (0.55, 0.85, Position.SUPPORTS, ""),
    ("Microsoft", "defender_digital_safety"): (0.6, 0.7, Position.SUPPORTS, ""),
    ("Wikimedia Foundation", "ukraine_information"): (0.6, 0.5, Position.SUPPORTS, ""),
}  # fmt: skip


def _stake_match(actor: StakeholderSpec, outcome: OutcomeSpec) -> str | None:
    """How an actor relates to an outcome: 'home' (it works there on the theme), 'local' (it works
    there), 'theme' (a global actor on the theme), 'related' (on a neighbouring theme), or None."""
    here = not outcome.countries or actor.works_anywhere
    local = bool(set(actor.works_in) & set(outcome.countries))
    if not (here or local):
        return None
    on_theme = outcome.theme in actor.themes
    related = bool(set(outcome.related_themes) & set(actor.themes))
    if local and on_theme:
        return "home"
    if local:
        return "local" if actor.scope in (Scope.LOCAL, Scope.NATIONAL) or related else None
    if on_theme:
        return "theme"
    if related:
        return "related"
    return None


# (chance of a stake, interest range) per kind of match.
STAKE_ODDS = {
    "home": (0.95, (0.7, 1.0)),
    "local": (0.6, (0.3, 0.6)),
    "theme": (0.85, (0.5, 0.9)),
    "related": (0.35, (0.3, 0.6)),
}


def _stakes(
    rng: random.Random, actors: list[StakeholderSpec], outcomes: tuple[OutcomeSpec, ...]
) -> list[StakeSpec]:
    by_name = {actor.name: actor for actor in actors}
    by_acronym = {actor.acronym: actor for actor in actors if actor.acronym}
    explicit = {}
    for (who, slug), values in EXPLICIT_STAKES.items():
        actor = by_name.get(who) or by_acronym[who]
        explicit[(actor.key, slug)] = values
    stakes = []
    for actor in actors:
        mine = []
        fallback = None
        for outcome in outcomes:
            values = explicit.get((actor.key, outcome.slug))
            if values:
                interest, influence, position, notes = values
                mine.append(
                    StakeSpec(actor.key, outcome.title, interest, influence, position, notes,
                              rng.choice(STAKE_SOURCES))
                )  # fmt: skip
                continue
            match = _stake_match(actor, outcome)
            if match is None:
                continue
            chance, (low, high) = STAKE_ODDS[match]
            draw = rng.random()
            spec = _random_stake(rng, actor, outcome, match, low, high)
            if draw < chance:
                mine.append(spec)
            elif fallback is None:
                fallback = spec
        if not mine and fallback is not None:
            # Every actor in the scenario holds at least one stake.
            mine.append(fallback)
        stakes.extend(mine)
    return stakes


def _random_stake(
    rng: random.Random,
    actor: StakeholderSpec,
    outcome: OutcomeSpec,
    match: str,
    low: float,
    high: float,
) -> StakeSpec:
    interest = _round(rng.uniform(low, high))
    influence = BASE_INFLUENCE[actor.kind] + rng.uniform(-0.15, 0.15)
    if actor.kind == S and match in ("home", "local") and actor.country in outcome.countries:
        influence += 0.15  # a state decides most at home
    if actor.kind == FIRM and outcome.theme in (Theme.DISINFORMATION, Theme.VIOLENT_EXTREMISM):
        influence += 0.25  # platforms control the channels
    if actor.scope == Scope.GLOBAL and actor.capabilities & Capability.FUNDING:
        influence += 0.08
    influence = _round(min(max(influence, 0.05), 0.97))
    neutral, opposes = POSITION_ODDS.get(actor.kind, (0.05, 0.0))
    if actor.kind == S and actor.country not in outcome.countries:
        opposes = 0.0  # distant donors seldom oppose; they stay out or stay neutral
    draw = rng.random()
    if draw < opposes:
        position = Position.OPPOSES
    elif draw < opposes + neutral:
        position = Position.NEUTRAL
    else:
        position = Position.SUPPORTS
    return StakeSpec(
        actor.key, outcome.title, interest, influence, position, "", rng.choice(STAKE_SOURCES)
    )


# --- ties ----------------------------------------------------------------------------------------

TIE_SOURCES = {
    TieKind.FUNDS: ("Demo: IATI activity data", "Demo: grant agreement", "Demo: annual report"),
    TieKind.PARTNERS_WITH: ("Demo: memorandum of understanding", "Demo: joint programme document",
                            "Demo: partner interview"),
    TieKind.MEMBER_OF: ("Demo: membership list", "Demo: network website"),
    TieKind.COMMUNICATES_WITH: ("Demo: coordination meeting minutes", "Demo: partner interview"),
    TieKind.OPPOSES: ("Demo: media monitoring", "Demo: public statement"),
}  # fmt: skip
TIE_STRENGTH = {
    TieKind.FUNDS: (0.4, 0.95),
    TieKind.PARTNERS_WITH: (0.3, 0.9),
    TieKind.MEMBER_OF: (0.5, 0.9),
    TieKind.COMMUNICATES_WITH: (0.1, 0.6),
    TieKind.OPPOSES: (0.3, 0.9),
}
SCENARIO_END = datetime.date(2025, 12, 31)

EXPLICIT_TIES = (
    ("Government of the Russian Federation", "Government of Ukraine", TieKind.OPPOSES),
    ("Government of the Russian Federation", "Government of Moldova", TieKind.OPPOSES),
    ("RT", "StopFake", TieKind.OPPOSES),
    ("RT", "EEAS", TieKind.OPPOSES),
    ("Crimson Reach Digital", "PesaCheck", TieKind.OPPOSES),
    ("Sahel Agro-Pastoral Holdings", "Studio Tamani", TieKind.OPPOSES),
    ("Jigsaw", "Moonshot", TieKind.PARTNERS_WITH),
    ("Meta Platforms", "GIFCT", TieKind.MEMBER_OF),
    ("Microsoft", "GIFCT", TieKind.MEMBER_OF),
    ("Google", "GIFCT", TieKind.MEMBER_OF),
    ("Tech Against Terrorism", "GIFCT", TieKind.PARTNERS_WITH),
    ("UN Women", "FemWise-Africa", TieKind.PARTNERS_WITH),
    ("Government of Chad", "African Union", TieKind.MEMBER_OF),
    ("Government of Kenya", "African Union", TieKind.MEMBER_OF),
    ("Government of South Sudan", "African Union", TieKind.MEMBER_OF),
    ("Government of South Sudan", "IGAD", TieKind.MEMBER_OF),
    ("Government of Kenya", "IGAD", TieKind.MEMBER_OF),
    ("Government of Moldova", "OSCE", TieKind.MEMBER_OF),
    ("Government of Ukraine", "OSCE", TieKind.MEMBER_OF),
    ("Government of Chad", "Lake Chad Basin Commission", TieKind.MEMBER_OF),
    ("Government of Niger", "Lake Chad Basin Commission", TieKind.MEMBER_OF),
    ("Community of Sant'Egidio", "Government of South Sudan", TieKind.COMMUNICATES_WITH),
    ("IGAD", "Government of South Sudan", TieKind.COMMUNICATES_WITH),
    ("FCDO", "United Nations Peacebuilding Fund", TieKind.FUNDS),
    ("Global Affairs Canada", "UN Women", TieKind.FUNDS),
    ("Gates Foundation", "World Health Organization", TieKind.FUNDS),
)

DONOR_KINDS = (S, IGO, FOUND)
INTERNATIONAL_PARTNER_KINDS = (IGO, NGO, FAITH, MED, ACA, WG)


def _tie_dates(rng: random.Random) -> tuple[datetime.date | None, datetime.date | None]:
    if rng.random() < 0.1:
        return None, None
    start = datetime.date(rng.randint(2012, 2024), rng.randint(1, 12), rng.randint(1, 28))
    if rng.random() < 0.25:
        end = min(start + datetime.timedelta(days=rng.randint(180, 1500)), SCENARIO_END)
        return start, end
    return start, None


def _ties(
    rng: random.Random, actors: list[StakeholderSpec], stakes: list[StakeSpec]
) -> list[TieSpec]:
    by_name = {actor.name: actor for actor in actors}
    by_acronym = {actor.acronym: actor for actor in actors if actor.acronym}
    outcomes_of: dict[StakeholderKey, set[str]] = {actor.key: set() for actor in actors}
    for stake in stakes:
        outcomes_of[stake.stakeholder].add(stake.outcome)

    ties: list[TieSpec] = []
    seen: set[tuple] = set()

    def add(source: StakeholderSpec, target: StakeholderSpec, kind: str, notes: str = "") -> bool:
        if source.key == target.key:
            return False
        key = (source.key, target.key, kind)
        if kind in SYMMETRIC_TIE_KINDS:
            key = (*sorted((source.key, target.key)), kind)
        if key in seen:
            return False
        seen.add(key)
        low, high = TIE_STRENGTH[kind]
        start, end = _tie_dates(rng)
        ties.append(
            TieSpec(source.key, target.key, kind, _round(rng.uniform(low, high)), start, end,
                    rng.choice(TIE_SOURCES[kind]), notes)
        )  # fmt: skip
        return True

    def shares_outcome(a: StakeholderSpec, b: StakeholderSpec) -> bool:
        return bool(outcomes_of[a.key] & outcomes_of[b.key])

    for source_name, target_name, kind in EXPLICIT_TIES:
        source = by_name.get(source_name) or by_acronym[source_name]
        target = by_name.get(target_name) or by_acronym[target_name]
        add(source, target, kind)

    # Donors fund implementers that work towards the same outcomes.
    donors = [a for a in actors if a.kind in DONOR_KINDS and a.capabilities & Capability.FUNDING]
    for donor in donors:
        recipients = [
            a
            for a in actors
            if a.kind not in (S,) and a.key != donor.key and shares_outcome(donor, a)
        ]
        for recipient in rng.sample(recipients, min(len(recipients), rng.randint(3, 7))):
            add(donor, recipient, TieKind.FUNDS)
    # Tech firms fund fact-checkers and counter-extremism work.
    for firm in (a for a in actors if a.kind == FIRM and a.capabilities & Capability.FUNDING):
        recipients = [a for a in actors if a.kind in (MED, NGO, ACA) and shares_outcome(firm, a)]
        for recipient in rng.sample(recipients, min(len(recipients), 3)):
            add(firm, recipient, TieKind.FUNDS)

    internationals = [
        a for a in actors if a.kind in INTERNATIONAL_PARTNER_KINDS and a.works_anywhere
    ]
    locals_ = [a for a in actors if not a.works_anywhere and a.kind not in (S,)]
    for local in locals_:
        # Local actors partner with one or two international organisations on a shared outcome.
        partners = [a for a in internationals if shares_outcome(local, a)]
        for partner in rng.sample(partners, min(len(partners), rng.randint(1, 2))):
            add(partner, local, TieKind.PARTNERS_WITH)
        # ... and talk to other actors working in the same country.
        neighbours = [a for a in locals_ if a.key != local.key and a.country == local.country]
        if neighbours and rng.random() < 0.6:
            add(local, rng.choice(neighbours), TieKind.COMMUNICATES_WITH)
        if local.kind in (WG, GRASS, NGO) and rng.random() < 0.3:
            network = rng.choice(
                [by_acronym["GNWP"], by_acronym["WILPF"]] if local.kind == WG
                else [by_acronym["ICAN"], by_name["Search for Common Ground"]]
            )  # fmt: skip
            add(local, network, TieKind.MEMBER_OF)
    # Women's groups in Africa join FemWise-Africa's national chapters.
    femwise = by_name["FemWise-Africa"]
    for local in locals_:
        if local.kind == WG and local.country in femwise.works_in and rng.random() < 0.4:
            add(local, femwise, TieKind.MEMBER_OF)
    # Governments of the focus countries coordinate with the UN agencies present.
    for state in (a for a in actors if a.kind == S and not a.works_anywhere):
        agencies = [a for a in actors if a.kind == IGO and shares_outcome(state, a)]
        for agency in rng.sample(agencies, min(len(agencies), 2)):
            add(state, agency, TieKind.COMMUNICATES_WITH)
    return ties


# --- the scenario --------------------------------------------------------------------------------


@functools.cache
def demo_scenario() -> Scenario:
    """The whole demo scenario as plain data. Deterministic: a fixed seed, lists in fixed order."""
    rng = random.Random(DEMO_SEED)
    actors = _anchor_specs()
    taken = {actor.key for actor in actors}
    actors += _generated_actors(rng, taken)
    keys = [actor.key for actor in actors]
    if len(set(keys)) != len(keys):  # pragma: no cover - guarded by the name draw
        raise RuntimeError("demo stakeholder names must be unique per country")
    stakes = _stakes(rng, actors, OUTCOMES)
    ties = _ties(rng, actors, stakes)
    return Scenario(
        sectors=DEMO_SECTORS,
        stakeholders=tuple(actors),
        outcomes=OUTCOMES,
        stakes=tuple(stakes),
        ties=tuple(ties),
        stakeholder_index={actor.key: actor for actor in actors},
    )


# --- loading -------------------------------------------------------------------------------------


@dataclass
class DemoLoadResult:
    already_loaded: bool = False
    created: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def _existing_stakeholders(scenario: Scenario) -> dict[StakeholderKey, int]:
    names = {spec.name for spec in scenario.stakeholders}
    existing: dict[StakeholderKey, int] = {}
    rows = (
        Stakeholder.objects.filter(name__in=sorted(names))
        .order_by("id")
        .values_list("name", "country", "id")
    )
    for name, country, pk in rows:
        existing.setdefault((name, str(country)), pk)
    return {key: pk for key, pk in existing.items() if key in scenario.stakeholder_index}


def demo_scenario_load(*, log: Callable[[str], None] | None = None) -> DemoLoadResult:
    """Load the demo scenario, creating only what is missing. Safe to run again and again.

    Everything is validated and gets change history (see ``_bulk_create_validated`` for stakes
    and ties). Existing rows with a demo natural key are left as they are, so edits made in the
    app survive a reload. One transaction: a failure leaves the database as it was.
    """
    started = time.perf_counter()
    scenario = demo_scenario()
    say = log or (lambda message: None)
    result = DemoLoadResult()
    with transaction.atomic():
        missing = _missing(scenario)
        if not any(missing.values()):
            result.already_loaded = True
        else:
            result.created["sectors"] = _sectors_create(scenario, missing["sectors"])
            say(f"  sectors: {result.created['sectors']} created")
            result.created["stakeholders"] = _stakeholders_create(scenario, missing["stakeholders"])
            say(f"  stakeholders: {result.created['stakeholders']} created")
            result.created["outcomes"] = _outcomes_create(scenario, missing["outcomes"])
            say(f"  outcomes: {result.created['outcomes']} created")
            actor_ids = _existing_stakeholders(scenario)
            outcome_ids = dict(
                Outcome.objects.filter(title__in=[o.title for o in scenario.outcomes]).values_list(
                    "title", "id"
                )
            )
            result.created["stakes"] = _stakes_create(scenario, actor_ids, outcome_ids)
            say(f"  stakes: {result.created['stakes']} created")
            result.created["ties"] = _ties_create(scenario, actor_ids)
            say(f"  ties: {result.created['ties']} created")
            changed = sum(result.created.values())
            # Bulk inserts send no per-row signals: say once, after commit, that the registry
            # changed (stakeholders first among what it wrote), so that the overlap engine
            # computes the demo's candidates and the graph its metrics.
            transaction.on_commit(
                lambda: registry_bulk_changed.send(
                    sender=Stakeholder, kind="stakeholders", count=changed
                )
            )
    result.totals = {
        "stakeholders": len(scenario.stakeholders),
        "outcomes": len(scenario.outcomes),
        "stakes": len(scenario.stakes),
        "ties": len(scenario.ties),
        "sectors": len(scenario.sectors),
    }
    result.seconds = time.perf_counter() - started
    return result


def _missing(scenario: Scenario) -> dict[str, list]:
    """What of the scenario is not in the database yet, by natural key."""
    codes = set(Sector.objects.filter(code__in=[c for c, _ in scenario.sectors]).values_list(
        "code", flat=True
    ))  # fmt: skip
    actor_ids = _existing_stakeholders(scenario)
    titles = [o.title for o in scenario.outcomes]
    outcome_ids = dict(Outcome.objects.filter(title__in=titles).values_list("title", "id"))
    missing_stakes: list = []
    missing_ties: list = []
    if len(actor_ids) == len(scenario.stakeholders) and len(outcome_ids) == len(titles):
        pairs = set(
            Stake.objects.filter(outcome_id__in=outcome_ids.values()).values_list(
                "stakeholder_id", "outcome_id"
            )
        )
        missing_stakes = [
            s for s in scenario.stakes
            if (actor_ids[s.stakeholder], outcome_ids[s.outcome]) not in pairs
        ]  # fmt: skip
        existing_ties = _existing_ties(actor_ids)
        missing_ties = [t for t in scenario.ties if not _tie_exists(t, actor_ids, existing_ties)]
    else:
        missing_stakes = list(scenario.stakes)
        missing_ties = list(scenario.ties)
    return {
        "sectors": [(c, n) for c, n in scenario.sectors if c not in codes],
        "stakeholders": [s for s in scenario.stakeholders if s.key not in actor_ids],
        "outcomes": [o for o in scenario.outcomes if o.title not in outcome_ids],
        "stakes": missing_stakes,
        "ties": missing_ties,
    }


def _existing_ties(actor_ids: dict[StakeholderKey, int]) -> set[tuple[int, int, str]]:
    return set(
        Tie.objects.filter(from_stakeholder_id__in=actor_ids.values()).values_list(
            "from_stakeholder_id", "to_stakeholder_id", "kind"
        )
    )


def _tie_exists(tie: TieSpec, actor_ids, existing: set[tuple[int, int, str]]) -> bool:
    source, target = actor_ids[tie.from_stakeholder], actor_ids[tie.to_stakeholder]
    if (source, target, tie.kind) in existing:
        return True
    # A symmetric tie recorded the other way round is the same tie.
    return tie.kind in SYMMETRIC_TIE_KINDS and (target, source, tie.kind) in existing


def _sectors_create(scenario: Scenario, missing: list[tuple[str, str]]) -> int:
    # There is no sector service: validate each row, then insert them with their history.
    sectors = [Sector(code=code, name=name) for code, name in missing]
    for sector in sectors:
        sector.full_clean()
    bulk_create_with_history(sectors, Sector)
    return len(sectors)


def _stakeholders_create(scenario: Scenario, missing: list[StakeholderSpec]) -> int:
    if not missing:
        return 0
    sectors = {sector.code: sector for sector in Sector.objects.filter(
        code__in=[c for c, _ in scenario.sectors]
    )}  # fmt: skip
    taken_ids = set(
        ExternalIdentifier.objects.filter(
            value__in=[v for s in missing for _, v in s.external_ids]
        ).values_list("scheme", "value")
    )
    ids = _existing_stakeholders(scenario)
    for spec in missing:  # parents come first in the scenario
        parent = Stakeholder.objects.get(pk=ids[spec.parent]) if spec.parent else None
        actor = services.stakeholder_create(
            name=spec.name,
            kind=spec.kind,
            acronym=spec.acronym,
            country=spec.country,
            country_of_origin=spec.country_of_origin,
            scope=spec.scope,
            parent=parent,
            capabilities=Capability(spec.capabilities),
            digital_presence=spec.digital_presence,
            women_led=spec.women_led,
            women_leadership_share=spec.women_leadership_share,
            sensitivity=spec.sensitivity,
            description=spec.description,
            website=spec.website,
            sectors=[sectors[code] for code in spec.sectors if code in sectors],
            # An identifier already held by another record (an IATI import, say) stays there.
            external_ids={
                scheme: value for scheme, value in spec.external_ids
                if (scheme, value) not in taken_ids
            },
        )  # fmt: skip
        ids[spec.key] = actor.pk
    return len(missing)


def _outcomes_create(scenario: Scenario, missing: list[OutcomeSpec]) -> int:
    for spec in missing:
        services.outcome_create(
            title=spec.title,
            theme=spec.theme,
            description=spec.description,
            geography=spec.geography,
            countries=list(spec.countries),
            needed_capabilities=Capability(spec.needed_capabilities),
        )
    return len(missing)


def _bulk_create_validated(model, instances: list, *, foreign_keys: list[str]) -> int:
    """Validate each row, then insert them all with their change history.

    Field validators and ``clean()`` run in Python for every row. The CHECK and UNIQUE
    constraints are left to the database, which enforces them inside this same transaction
    (uniqueness was already diffed on natural keys): validating them row by row would cost a
    query per constraint per row and made the demo load three times slower. The foreign keys
    point at rows just read from the database.
    """
    for instance in instances:
        instance.full_clean(exclude=foreign_keys, validate_unique=False, validate_constraints=False)
    bulk_create_with_history(instances, model, batch_size=500)
    return len(instances)


def _stakes_create(scenario: Scenario, actor_ids, outcome_ids) -> int:
    existing = set(
        Stake.objects.filter(outcome_id__in=outcome_ids.values()).values_list(
            "stakeholder_id", "outcome_id"
        )
    )
    stakes = []
    for spec in scenario.stakes:
        actor_id, outcome_id = actor_ids[spec.stakeholder], outcome_ids[spec.outcome]
        if (actor_id, outcome_id) in existing:
            continue
        stakes.append(
            Stake(
                stakeholder_id=actor_id,
                outcome_id=outcome_id,
                interest=spec.interest,
                influence=spec.influence,
                position=spec.position,
                notes=spec.notes,
                source=spec.source,
            )
        )
    return _bulk_create_validated(Stake, stakes, foreign_keys=["stakeholder", "outcome"])


def _ties_create(scenario: Scenario, actor_ids) -> int:
    existing = _existing_ties(actor_ids)
    ties = [
        Tie(
            from_stakeholder_id=actor_ids[spec.from_stakeholder],
            to_stakeholder_id=actor_ids[spec.to_stakeholder],
            kind=spec.kind,
            strength=spec.strength,
            start_date=spec.start_date,
            end_date=spec.end_date,
            source=spec.source,
            notes=spec.notes,
        )
        for spec in scenario.ties
        if not _tie_exists(spec, actor_ids, existing)
    ]
    return _bulk_create_validated(Tie, ties, foreign_keys=["from_stakeholder", "to_stakeholder"])


# --- demo users ----------------------------------------------------------------------------------

DEMO_PASSWORD = "demo-pass-2026"
DEMO_ORGANISATION = "Smart Diplomacy demo"


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: str
    cleared: bool
    superuser: bool = False


DEMO_USERS = (
    DemoUser("admin", "Amina", "Diallo", Role.ADMINISTRATOR, cleared=True, superuser=True),
    DemoUser("analyst", "Lukas", "Meyer", Role.ANALYST, cleared=False),
    DemoUser("analyst.cleared", "Farah", "Haddad", Role.ANALYST, cleared=True),
    DemoUser("officer", "Grace", "Otieno", Role.PROGRAM_OFFICER, cleared=True),
    DemoUser("reviewer", "Sofia", "Lindqvist", Role.REVIEWER, cleared=False),
)


@transaction.atomic
def demo_users_ensure() -> list[dict]:
    """Create or fix the demo users: one per role, cleared or not as DEMO_USERS says.

    The password is set only when a user is created, so a second run changes nothing (a new hash
    would differ on every run) and a password changed since is kept.
    """
    User = get_user_model()
    app_label, codename = CLEARANCE_PERMISSION.split(".")
    clearance = Permission.objects.get(content_type__app_label=app_label, codename=codename)
    rows = []
    for spec in DEMO_USERS:
        group = Group.objects.get(name=spec.role)
        user = User.objects.filter(username=spec.username).first()
        created = user is None
        if created:
            user = User.objects.create_user(
                username=spec.username,
                email=f"{spec.username}@demo.smartdiplomacy.example",
                password=DEMO_PASSWORD,
            )
        wanted = {
            "first_name": spec.first_name,
            "last_name": spec.last_name,
            "email": f"{spec.username}@demo.smartdiplomacy.example",
            "organisation": DEMO_ORGANISATION,
            "is_active": True,
            "is_staff": spec.superuser or spec.role == Role.ADMINISTRATOR,
            "is_superuser": spec.superuser,
        }
        changed = [name for name, value in wanted.items() if getattr(user, name) != value]
        for name in changed:
            setattr(user, name, wanted[name])
        if changed:
            user.save(update_fields=changed)
        if set(user.groups.all()) != {group}:
            user.groups.set([group])
        has_clearance = user.user_permissions.filter(pk=clearance.pk).exists()
        if spec.cleared and not has_clearance:
            user.user_permissions.add(clearance)
        elif not spec.cleared and has_clearance:
            user.user_permissions.remove(clearance)
        rows.append(
            {
                "username": spec.username,
                "name": f"{spec.first_name} {spec.last_name}",
                "role": Role(spec.role).label,
                "cleared": spec.cleared,
                "created": created,
            }
        )
    return rows
