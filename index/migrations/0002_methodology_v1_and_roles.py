"""Version 1 of the Smart Diplomacy Index, published, and the roles' permissions on the index.

The indicators, goalposts and weights are written out here (not imported) so that this migration
keeps creating the same version 1 whatever later code says. The methodology page explains them.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations
from django.utils import timezone

NAME = "Smart Diplomacy Index"


def indicator(code, pillar, label, explanation, goalposts, weight):
    return {
        "code": code,
        "pillar": pillar,
        "label": label,
        "explanation": explanation,
        "goalposts": list(goalposts),
        "weight": weight,
    }


INDICATORS = [
    indicator("D1", "digital", "Online and hybrid channels used",
              "Number of online channels used (video, messaging, social media, web, SMS). "
              "Three or more reach the top.", (0, 3), 1.0),
    indicator("D2", "digital", "Real-time reporting from the ground",
              "Yes if the engagement reports in real time or regularly from the ground.", (0, 1), 1.0),
    indicator("D3", "digital", "Reach to marginalised or remote people",
              "Level 0–3: one point each for local languages, offline or SMS access, and "
              "accessibility for people with disabilities.", (0, 3), 1.5),
    indicator("D4", "digital", "Safeguards against disinformation",
              "Yes if the engagement guards against disinformation and manipulation.", (0, 1), 1.0),
    indicator("D5", "digital", "Protection of participants' data",
              "Yes if participants' personal data are protected.", (0, 1), 1.0),
    indicator("M1", "multi_stakeholder", "Distinct actors",
              "Number of stakeholders taking part; one actor scores 0, ten or more the top.",
              (1, 10), 1.0),
    indicator("M2", "multi_stakeholder", "Distinct kinds of actor",
              "Number of different kinds (state, NGO, firm, diaspora, women's group…); "
              "one kind scores 0, six or more the top.", (1, 6), 1.0),
    indicator("M3", "multi_stakeholder", "Evenness of kinds",
              "Shannon entropy of the kinds divided by ln k (k kinds): 1 when every kind is "
              "equally present, 0 when a single kind takes part.", (0, 1), 1.0),
    indicator("M4", "multi_stakeholder", "State / non-state balance",
              "2 × the smaller of the shares of state actors (states, their agencies, "
              "intergovernmental organisations) and non-state actors: 1 at half and half.",
              (0, 1), 1.0),
    indicator("M5", "multi_stakeholder", "Local and diaspora actors",
              "Share of participants that are local or diaspora actors; half or more reaches "
              "the top.", (0, 0.5), 1.0),
    indicator("M6", "multi_stakeholder", "Spread of roles",
              "How many of the leading roles (convening, funding, implementing) are held; each "
              "actor holds one role, so no single actor holds them all.", (0, 3), 1.0),
    indicator("F1", "feminist", "Women among participants",
              "Share of women among participants; parity (50 %) reaches the top.", (0, 0.5), 1.5),
    indicator("F2", "feminist", "Women among those who lead or decide",
              "Share of women among those who lead, negotiate or decide; parity reaches the top.",
              (0, 0.5), 1.5),
    indicator("F3", "feminist", "Women's groups engaged",
              "Number of women's groups among the participants; two or more reach the top.",
              (0, 2), 1.0),
    indicator("F4", "feminist", "Protection from gender-based violence",
              "Yes if protection from gender-based violence is built in.", (0, 1), 1.0),
    indicator("F5", "feminist", "OECD DAC gender-equality marker",
              "0 not targeted, 1 significant, 2 principal. Both 1 and 2 reach the top: the DAC "
              "warns that 2 is not by definition better than 1.", (0, 1), 0.5),
    indicator("F6", "feminist", "UNSCR 1325 pillars addressed",
              "How many of resolution 1325's four pillars (participation, protection, "
              "prevention, relief and recovery) the engagement addresses.", (0, 4), 1.0),
    indicator("F7", "feminist", "Results reported by sex",
              "Yes if results are reported separately for women and men.", (0, 1), 1.0),
]  # fmt: skip

PILLAR_WEIGHTS = {"digital": 1.0, "multi_stakeholder": 1.0, "feminist": 1.0}

ROLE_PERMISSIONS = {
    "analyst": ["view_engagement", "view_engagementparticipant", "view_methodology", "view_score"],
    "reviewer": ["view_engagement", "view_engagementparticipant", "view_methodology", "view_score"],
    "program officer": [
        "view_engagement",
        "add_engagement",
        "change_engagement",
        "view_engagementparticipant",
        "add_engagementparticipant",
        "change_engagementparticipant",
        "delete_engagementparticipant",
        "view_methodology",
        "view_score",
    ],
    "administrator": [
        f"{action}_{model}"
        for model in ("engagement", "engagementparticipant", "methodology", "score")
        for action in ("view", "add", "change", "delete")
    ],
}


def create_version_1(apps, schema_editor):
    Methodology = apps.get_model("index", "Methodology")
    Methodology.objects.get_or_create(
        name=NAME,
        version=1,
        defaults={
            "published": True,
            "published_at": timezone.now(),
            "description": "The first published version: 18 indicators on three equally "
            "weighted pillars, arithmetic composite.",
            "indicators": INDICATORS,
            "pillar_weights": PILLAR_WEIGHTS,
            "aggregation": "arithmetic",
        },
    )


def delete_version_1(apps, schema_editor):
    apps.get_model("index", "Methodology").objects.filter(name=NAME, version=1).delete()


def grant(apps, schema_editor):
    app_config = apps.get_app_config("index")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="index", codename__in=codenames)
        )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    permissions = Permission.objects.filter(content_type__app_label="index")
    for group in Group.objects.filter(name__in=ROLE_PERMISSIONS):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("index", "0001_engagements_methodologies_scores"),
        ("accounts", "0002_roles"),
    ]

    operations = [
        migrations.RunPython(create_version_1, delete_version_1),
        migrations.RunPython(grant, revoke),
    ]
