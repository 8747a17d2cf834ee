"""Build the planted MTSamples sets: real reports whose placeholders ("Dr. X", "Mr. ABC", "ABCD General
Hospital") and some of whose dates are replaced by values written by hand for this purpose (not drawn
from Faker or any list the recognizers use), so the context around every planted identifier is real.

    PYTHONPATH=src python tests/deid_text/data/real/build_mtsamples_planted.py [path/to/en_mtsamples.jsonl]

Only the plan is stored (document id, text hash, and per edit: the replaced range, the value, its type);
goldsets.load_planted applies it to the text read in place. Reports in the annotated gold sample are
never used here. Only the planted values are gold: these sets measure recall.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from build_mtsamples_gold import DEFAULT_CORPUS, sample_ids  # noqa: E402

SALT = "yizhi-mtsamples-planted:"
PER_SPLIT = 120

# Written by hand for these sets (a mix of origins, spellings and lengths; some are also English words).
SURNAMES = """Okonkwo Lindqvist Baptiste Wojcik Haddad Nakashima Oyelaran Ferreira Kowalczyk Abernathy Delacroix
Pemberton Rautio Szabo Quintanilla Mbeki Ashworth Castellano Trinh Oduya Halvorsen Mendelsohn Kaczmarek Brightwater
Achterberg Fairweather Gallardo Iwasaki Jablonski Kettleborough Lemaire Marchetti Nwachukwu Ostrowski Pappas Quiroga
Rosenthal Saetang Thibodeaux Underhill Vasquez-Ortiz Whitlock Xiong Yarborough Zielinski Hawthorne Bianchi Drummond
Esposito Fitzgerald Gunawardena Holloway Ibarra Jorgensen Kavanagh Lockhart Mwangi Nakamura O'Sullivan Prentice
Rahimi Stroud Tanaka Umeh Villanueva Winslow Young Zamora Bell Cross Hale Frost Moody Rich Sharp Wise""".split()
GIVEN = """Adaeze Birgit Cormac Dagny Emeka Farida Gunnar Hiroko Ines Jarrah Kwame Leocadia Mateus Nadia Oisin Priya
Quentin Rosalind Sunniva Tadeo Ulrike Vikram Wilhelmina Ximena Yusuf Zofia Bo Ada Lev Noor""".split()
TOWNS = ("Bellhaven, Copper Falls, Duneford, Eastmere, Fairhollow, Glenrock, Harrowgate, Ironbridge, Juniper Ridge, "
         "Kessling, Larkspur, Marrowdale, Northfield, Oakhurst, Pinecrest, Quarry Hill, Redwater, Silverton, Thornbury, "
         "Upton, Valemont, Westbrook, Yellowpine, Ashby, Brockton, Carraway, Dunmore, Elmstead").split(", ")

_PERSON = re.compile(r"\b(?:Dr|Mr|Mrs|Ms|Miss)\.? (X|Y|Z|A|B|C|W|XYZ|ABC|ABCD|XY|Xyz|Abc)\b(?!\.\w)")
_ORG = re.compile(r"\b(ABC|ABCD|XYZ|XY)(?:'s)?((?: (?:General|Medical|Regional|Memorial|Community|Nursing|Health|Rehab|Surgery|"
                  r"University|Care|Hospital|Center|Clinic|Home|Services))+)")
_DATE = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/(\d{2,4})(?![\d/])")
_MONTHS = "January February March April May June July August September October November December".split()


def _date_value(month: int, day: int, year: str, rng: random.Random) -> str:
    form = rng.randrange(5)
    if form == 0:
        return f"{month}/{day}"  # month/day without a year, as nursing notes write it
    if form == 1:
        return f"{_MONTHS[month - 1]} {day}"
    if form == 2:
        return f"{day}-{_MONTHS[month - 1][:3]}-{year if len(year) == 4 else '20' + year[-2:]}"
    if form == 3:
        return f"{month:02d}/{day:02d}/{year}"
    return f"{_MONTHS[month - 1][:3]}. {day}, {year if len(year) == 4 else '20' + year[-2:]}"


def plan_document(doc_id: str, text: str) -> list[dict]:
    rng = random.Random(SALT + doc_id)
    edits = []
    for match in _PERSON.finditer(text):
        value = rng.choice(SURNAMES) if rng.random() < 0.75 else f"{rng.choice(GIVEN)} {rng.choice(SURNAMES)}"
        edits.append({"start": match.start(1), "end": match.end(1), "value": value, "type": "NAME"})
    for match in _ORG.finditer(text):
        value = rng.choice(TOWNS) + match.group(2)
        edits.append({"start": match.start(1), "end": match.end(2), "value": value, "type": "ORGANIZATION"})
    dates = [m for m in _DATE.finditer(text) if 1 <= int(m.group(1)) <= 12 and 1 <= int(m.group(2)) <= 31]
    for match in dates[:3]:
        value = _date_value(int(match.group(1)), int(match.group(2)), match.group(3), rng)
        edits.append({"start": match.start(), "end": match.end(), "value": value, "type": "DATE"})
    return sorted(edits, key=lambda edit: edit["start"])


def build(corpus_path: Path = DEFAULT_CORPUS) -> dict[str, str]:
    corpus = {}
    for line in corpus_path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        corpus[record["id"]] = record["text"]
    annotated = {doc_id for half in sample_ids(corpus) for doc_id in half}
    candidates = [doc_id for doc_id in corpus if doc_id not in annotated
                  and (_PERSON.search(corpus[doc_id]) or _ORG.search(corpus[doc_id]))]
    ranked = sorted(candidates, key=lambda doc_id: hashlib.sha256((SALT + doc_id).encode()).hexdigest())[: 2 * PER_SPLIT]
    files = {}
    for name, ids in (("mtsamples_planted_dev.jsonl", ranked[:PER_SPLIT]), ("mtsamples_planted_test.jsonl", ranked[PER_SPLIT:])):
        lines = []
        for doc_id in ids:
            text = corpus[doc_id]
            record = {"id": doc_id, "sha256": hashlib.sha256(text.encode()).hexdigest(), "edits": plan_document(doc_id, text)}
            lines.append(json.dumps(record, ensure_ascii=False, sort_keys=True))
        files[name] = "\n".join(lines) + "\n"
    return files


if __name__ == "__main__":
    corpus_path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CORPUS
    for name, content in build(corpus_path).items():
        (HERE / name).write_text(content, encoding="utf-8")
        print(name, content.count("\n"), "documents", content.count('"type"'), "edits")
