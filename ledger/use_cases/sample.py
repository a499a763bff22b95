"""The sample article: the seed record of the reference service, loaded through the use cases.

Every step carries a fixed idempotency key, so loading twice changes nothing.
"""

from __future__ import annotations

from ledger.domain.commands import (
    AssignDisciplines,
    EnrolRater,
    RegisterArticle,
    RegisterDiscipline,
    SubmitRating,
)
from ledger.domain.raters import REFERENCE_DISCIPLINES
from ledger.store.records import Actor
from ledger.use_cases.service import EvidenceLedger

__all__ = ["SAMPLE_ARTICLE_ID", "SAMPLE_RATER_TO_TRY", "load_sample"]

SAMPLE_ARTICLE_ID = "e7d05feceeac5a68"
LOADER = Actor("sample-loader", "editor")

CITATION = {
    "title": (
        "The Analgesic Efficacy of Intradiscal Injection of Bone Marrow Aspirate Concentrate "
        "and Culture-Expanded Bone Marrow Mesenchymal Stromal Cells in Discogenic Pain: "
        "A Systematic Review"
    ),
    "authors": ["Her YF", "Kubrova E", "Martinez Alvarez GA", "D'Souza RS"],
    "journal": "Journal of Pain Research",
    "journal_abbreviation": "J Pain Res",
    "published_on": "2022-10-20",
    "volume": "15",
    "issue": None,
    "pages": "3299-3318",
    "doi": "10.2147/JPR.S373345",
    "pmid": None,
    "publication_note": "eCollection 2022",
    "study_type": "Systematic review",
    "abstract": (
        "Pain originating from the intervertebral disc (discogenic pain) is a prevalent "
        "manifestation of low back pain and is often challenging to treat. Of recent interest, "
        "regenerative medicine options with injectable biologics have been trialed in "
        "discogenic pain and a wide variety of other painful musculoskeletal conditions. In "
        "particular, the role of bone marrow aspirate concentrate (BMAC) and culture-expanded "
        "bone marrow derived mesenchymal stromal cells (BM-MSCs) in treating discogenic pain "
        "remains unclear. The primary objective of this systematic review was to appraise the "
        "evidence of intradiscal injection with BMAC and culture-expanded BM-MSCs in "
        "alleviating pain intensity from discogenic pain. Secondary outcomes included changes "
        "in physical function after intradiscal injection, correlation between stromal cell "
        "count and pain intensity, and anatomical changes of the disc assessed by radiographic "
        "imaging after intradiscal injection. Overall, 16 studies consisting of 607 "
        "participants were included in qualitative synthesis without pooling. Our synthesis "
        "revealed that generally intradiscal autologous or allogeneic BMAC and "
        "culture-expanded BM-MSCs improved discogenic pain compared to baseline. Intradiscal "
        "injection was also associated with improvements in physical functioning and positive "
        "anatomical changes on spine magnetic resonance imaging (improved disc height, disc "
        "water content, Pfirrmann grading) although anatomical findings were inconsistent "
        "across studies. However, the overall GRADEscore for this study was very low due to "
        "heterogeneity and poor generalizability. There were no serious adverse events "
        "reported post intradiscal injection except for a case of discitis."
    ),
}
TOPICS = ["Back Pain", "Chronic Low Back Pain"]

# (relevance, newsworthiness, comment): mean relevance 6, shown as "Physician 6 / 7".
PHYSICIAN_RATINGS = [
    (
        5,
        4,
        "There may well be something to this, but the level of evidence is very low.",
    ),
    (
        6,
        5,
        "This is an interesting review. The secondary outcome is more important as it does not "
        "rely on pain scores. The intradiscal injection of bone marrow resulted in positive "
        "anatomical changes on spine magnetic resonance imaging (improved disc height, disc "
        "water content, Pfirrmann grading), but anatomical findings were inconsistent across "
        "studies.",
    ),
    (
        7,
        5,
        "As shown by GRADE's evaluation, it is necessary to be cautious because is not possible "
        "to conclude the treatment effect from this study alone, but I think that this study "
        "will bring new knowledge to clinicians.",
    ),
]

# One more physician, enrolled but without a rating of the sample article, so that the
# README's rating example can be tried as written on a fresh ledger.
SAMPLE_RATER_TO_TRY = f"sample-physician-{len(PHYSICIAN_RATINGS) + 1}"


async def load_sample(ledger: EvidenceLedger) -> None:
    """The seed article rated in its discipline: its physicians are enrolled, the article is
    assigned Physician (which requests the four of them), and three of them rate it."""
    await _register_disciplines(ledger)
    await ledger.execute(
        RegisterArticle(article_id=SAMPLE_ARTICLE_ID, citation=CITATION, topics=TOPICS),
        actor=LOADER,
        idempotency_key="sample:article",
    )
    raters = [await _enrol_physician(ledger, n) for n in range(1, len(PHYSICIAN_RATINGS) + 2)]
    await ledger.execute(
        AssignDisciplines(SAMPLE_ARTICLE_ID, ["Physician"]),
        actor=LOADER,
        idempotency_key="sample:disciplines",
    )
    for number, (relevance, newsworthiness, comment) in enumerate(PHYSICIAN_RATINGS, start=1):
        rater_id = raters[number - 1]
        await ledger.execute(
            SubmitRating(SAMPLE_ARTICLE_ID, rater_id, relevance, newsworthiness, comment),
            actor=Actor(rater_id, "rater"),
            idempotency_key=f"sample:rating:{number}",
        )


async def _register_disciplines(ledger: EvidenceLedger) -> None:
    for name in REFERENCE_DISCIPLINES:
        await ledger.execute(
            RegisterDiscipline(name), actor=LOADER, idempotency_key=f"sample:discipline:{name}"
        )


async def _enrol_physician(ledger: EvidenceLedger, number: int) -> str:
    rater_id = f"sample-physician-{number}"
    await ledger.execute(
        EnrolRater(
            rater_id=rater_id, discipline="Physician", display_name=f"Sample physician {number}"
        ),
        actor=LOADER,
        idempotency_key=f"sample:rater:{number}",
    )
    return rater_id
