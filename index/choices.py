"""Vocabularies of the Smart Diplomacy Index."""

from django.db import models


class EngagementKind(models.TextChoices):
    MEETING = "meeting", "Meeting"
    CONSULTATION = "consultation", "Consultation"
    PROGRAMME = "programme", "Programme"
    CAMPAIGN = "campaign", "Campaign"
    CONFERENCE = "conference", "Conference"


class EngagementFormat(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    VIRTUAL = "virtual", "Virtual"
    HYBRID = "hybrid", "Hybrid"


class ParticipantRole(models.TextChoices):
    CONVENER = "convener", "Convener"
    PARTICIPANT = "participant", "Participant"
    FUNDER = "funder", "Funder"
    IMPLEMENTER = "implementer", "Implementer"


class ReachLevel(models.IntegerChoices):
    """How far an engagement reaches marginalised or remote people (indicator D3)."""

    NONE = 0, "None (no particular measures)"
    SOME = 1, "Some (one measure: local languages, offline/SMS access or accessibility)"
    BROAD = 2, "Broad (two of those measures)"
    FULL = 3, "Full (all three measures)"


class DacGenderMarker(models.IntegerChoices):
    NOT_TARGETED = 0, "0 — not targeted"
    SIGNIFICANT = 1, "1 — significant objective"
    PRINCIPAL = 2, "2 — principal objective"


class Aggregation(models.TextChoices):
    ARITHMETIC = "arithmetic", "Arithmetic mean of the pillars"
    GEOMETRIC = "geometric", "Geometric mean of the pillars (penalises imbalance)"


class Pillar(models.TextChoices):
    DIGITAL = "digital", "Digital"
    MULTI_STAKEHOLDER = "multi_stakeholder", "Multi-stakeholder"
    FEMINIST = "feminist", "Feminist"
