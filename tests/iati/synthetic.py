"""Write large synthetic IATI 2.03 files for the memory test and the benchmark.

``python tests/iati/synthetic.py OUT.xml N`` writes N activities drawn from a pool
of 2,000 organisations, 40 DAC sectors and 30 countries (same N, same file).
``python tests/iati/synthetic.py OUT-FOLDER N FILES`` writes N activities spread over FILES files
(the registry's layout: one or more files per publisher), each its own draw from the same pool.
"""

import random
import sys
from pathlib import Path
from xml.sax.saxutils import escape

SECTORS = [
    "15170", "15180", "15220", "15210", "15160", "15150", "12220", "12240", "11220", "11320",
    "14030", "16010", "31120", "31130", "32130", "41010", "43040", "72010", "72040", "74020",
    "22040", "15110", "15130", "15111", "15112", "15114", "15125", "15142", "15151", "15152",
    "15153", "15190", "15240", "15250", "16020", "16050", "23110", "24010", "25010", "73010",
]  # fmt: skip
COUNTRIES = [
    "YE", "SY", "AF", "SO", "SD", "SS", "ML", "NE", "BF", "TD", "NG", "CM", "CF", "CD", "ET",
    "KE", "UG", "MZ", "MM", "BD", "IQ", "LB", "JO", "PS", "UA", "CO", "VE", "HT", "PH", "LY",
]  # fmt: skip
ORG_TYPES = ["10", "11", "15", "21", "22", "23", "24", "30", "40", "60", "70", "80", "90"]


def synthetic_iati_write(path: Path, activities: int, *, seed: int = 0, first: int = 0) -> Path:
    """Write ``activities`` synthetic activities to ``path``, streaming (constant memory);
    identifiers numbered from ``first``. The organisation pool is the same whatever the seed."""
    pool = random.Random(0)
    orgs = [
        (f"XI-SYN-{i:05d}", pool.choice(ORG_TYPES), f"Synthetic organisation {i:05d}")
        for i in range(2000)
    ]
    rng = pool if seed == 0 else random.Random(seed)
    with open(path, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<iati-activities version="2.03">\n')
        for n in range(first, first + activities):
            reporting = rng.choice(orgs)
            out.write(
                f' <iati-activity last-updated-datetime="2024-01-01T00:00:00" '
                f'default-currency="USD" xml:lang="en">\n'
                f"  <iati-identifier>{reporting[0]}-ACT-{n:07d}</iati-identifier>\n"
                f'  <reporting-org ref="{reporting[0]}" type="{reporting[1]}">'
                f"<narrative>{escape(reporting[2])}</narrative></reporting-org>\n"
                f"  <title><narrative>Synthetic activity {n} with a title of ordinary length"
                f"</narrative></title>\n"
                f"  <description><narrative>{'A description of the activity. ' * 20}"
                f"</narrative></description>\n"
            )
            for role in ("1", "2", "4", "4"):
                ref, kind, name = rng.choice(orgs)
                out.write(
                    f'  <participating-org ref="{ref}" type="{kind}" role="{role}">'
                    f"<narrative>{escape(name)}</narrative></participating-org>\n"
                )
            out.write(
                '  <activity-date iso-date="2023-01-01" type="2"/>\n'
                f'  <recipient-country code="{rng.choice(COUNTRIES)}" percentage="100"/>\n'
                f'  <sector vocabulary="1" code="{rng.choice(SECTORS)}" percentage="100"/>\n'
                f'  <policy-marker vocabulary="1" code="1" significance="{rng.randint(0, 2)}"/>\n'
                '  <budget><period-start iso-date="2023-01-01"/><period-end iso-date="2023-12-31"/>'
                f"<value>{rng.randint(1000, 10**7)}</value></budget>\n"
                " </iati-activity>\n"
            )
        out.write("</iati-activities>\n")
    return path


def synthetic_folder_write(folder: Path, activities: int, files: int) -> list[Path]:
    """``activities`` spread evenly over ``files`` files in ``folder`` (distinct identifiers)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths, first = [], 0
    for index in range(files):
        count = activities // files + (1 if index < activities % files else 0)
        path = folder / f"synthetic-{index:04d}.xml"
        paths.append(synthetic_iati_write(path, count, seed=index + 1, first=first))
        first += count
    return paths


if __name__ == "__main__":
    if len(sys.argv) > 3:
        synthetic_folder_write(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
    else:
        synthetic_iati_write(Path(sys.argv[1]), int(sys.argv[2]))
