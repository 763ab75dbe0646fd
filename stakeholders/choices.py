"""Vocabularies of the registry. Capabilities are a bit set so that toolboxes vectorise."""

import enum

from django.db import models


class Kind(models.TextChoices):
    STATE = "state", "State or state agency"
    IGO = "igo", "Intergovernmental organisation"
    NGO = "ngo", "NGO"
    FIRM = "firm", "Firm"
    DIASPORA = "diaspora", "Diaspora group"
    WOMENS_GROUP = "womens_group", "Women's group"
    ACADEMIC = "academic", "Academic / think tank"
    MEDIA = "media", "Media"
    FAITH_BASED = "faith_based", "Faith-based organisation"
    GRASSROOTS = "grassroots", "Grassroots movement"
    FOUNDATION = "foundation", "Foundation"


class Sensitivity(models.TextChoices):
    PUBLIC = "public", "Public"
    RESTRICTED = "restricted", "Restricted"
    CONFIDENTIAL = "confidential", "Confidential"


class Audience(models.TextChoices):
    """Who derived data (scores, candidates, graph metrics) is computed for.

    Clearance is one permission, so there are two audiences. What the public audience reads is
    computed as if restricted and confidential actors had never existed (DESIGN.md, do no harm).
    """

    PUBLIC = "public", "People not cleared (public stakeholders only)"
    CLEARED = "cleared", "Cleared people (all stakeholders)"


class Scope(models.TextChoices):
    """Where an actor works from; 'local' actors count towards the inclusion measures."""

    LOCAL = "local", "Local"
    NATIONAL = "national", "National"
    REGIONAL = "regional", "Regional"
    GLOBAL = "global", "Global"


class DigitalPresence(models.IntegerChoices):
    NONE = 0, "None known"
    BASIC = 1, "Basic (a website)"
    ACTIVE = 2, "Active (regular online channels)"
    STRONG = 3, "Strong (digital-first, wide online reach)"


class Position(models.TextChoices):
    SUPPORTS = "supports", "Supports"
    NEUTRAL = "neutral", "Neutral"
    OPPOSES = "opposes", "Opposes"


class TieKind(models.TextChoices):
    FUNDS = "funds", "Funds"
    PARTNERS_WITH = "partners_with", "Partners with"
    MEMBER_OF = "member_of", "Member of"
    COMMUNICATES_WITH = "communicates_with", "Communicates with"
    OPPOSES = "opposes", "Opposes"


# Tie kinds that read the same in both directions: A partners with B is B partners with A.
SYMMETRIC_TIE_KINDS = frozenset({TieKind.PARTNERS_WITH, TieKind.COMMUNICATES_WITH, TieKind.OPPOSES})


class Theme(models.TextChoices):
    RECONSTRUCTION = "reconstruction", "Post-conflict reconstruction"
    DISPLACEMENT = "displacement", "Displacement and protection"
    CLIMATE_SECURITY = "climate_security", "Climate security"
    VIOLENT_EXTREMISM = "violent_extremism", "Countering violent extremism"
    DISINFORMATION = "disinformation", "Disinformation and information integrity"
    WOMEN_PEACE_SECURITY = "wps", "Women, peace and security"
    HEALTH_SECURITY = "health_security", "Health security"
    FOOD_SECURITY = "food_security", "Food security"
    CYBER = "cyber", "Cyber and digital rights"
    GOVERNANCE = "governance", "Governance and rule of law"


class Capability(enum.IntFlag):
    """An actor's toolbox, and what an outcome needs, as a bit set (stored as one integer)."""

    FUNDING = 1
    FIELD_PRESENCE = 2
    TECHNOLOGY = 4
    CONVENING = 8
    LEGAL = 16
    SECURITY = 32
    MEDIA_REACH = 64
    RESEARCH_DATA = 128
    LOGISTICS = 256
    COMMUNITY_TRUST = 512

    @property
    def label(self) -> str:
        return CAPABILITY_LABELS[self]

    @classmethod
    def all(cls) -> "Capability":
        return cls(sum(member.value for member in cls))

    def labels(self) -> list[str]:
        return [CAPABILITY_LABELS[member] for member in Capability if member in self]

    @classmethod
    def from_names(cls, names) -> "Capability":
        value = cls(0)
        for name in names:
            try:
                value |= cls[str(name).strip().upper()]
            except KeyError:
                raise ValueError(f"unknown capability {name!r}") from None
        return value


CAPABILITY_LABELS = {
    Capability.FUNDING: "Funding",
    Capability.FIELD_PRESENCE: "Field presence",
    Capability.TECHNOLOGY: "Technology",
    Capability.CONVENING: "Convening",
    Capability.LEGAL: "Legal",
    Capability.SECURITY: "Security",
    Capability.MEDIA_REACH: "Media reach",
    Capability.RESEARCH_DATA: "Research and data",
    Capability.LOGISTICS: "Logistics",
    Capability.COMMUNITY_TRUST: "Community trust",
}
CAPABILITY_CHOICES = [(member.value, CAPABILITY_LABELS[member]) for member in Capability]
ALL_CAPABILITIES = int(Capability.all())


class IdentifierScheme(models.TextChoices):
    IATI_ORG = "iati_org", "IATI organisation identifier"
    CRS_CHANNEL = "crs_channel", "OECD CRS channel code"
    WIKIDATA = "wikidata", "Wikidata"
    OTHER = "other", "Other"


class Origin(models.TextChoices):
    """Where a record came from (provenance): typed in by a person, or which import made it."""

    CURATED = "curated", "Curated"
    CSV = "csv", "CSV/XLSX import"
    IATI = "iati", "IATI import"
    THREEW = "3w", "3W import"


# Outcomes these imports make by rule ("<sector> in <country>"): kept out of the default lists
# until an officer promotes them.
MACHINE_ORIGINS = (Origin.IATI, Origin.THREEW)
