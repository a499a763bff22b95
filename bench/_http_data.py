"""The data set of ``bench.http``: articles with topics, ratings by raters of several
disciplines with their comments, and subscribers' comments, written through the use cases."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import insert

from bench._ledger_gen import JOURNALS, STUDY_TYPES
from ledger.domain.commands import (
    EnrolRater,
    PostComment,
    RegisterArticle,
    RegisterDiscipline,
    SubmitRating,
)
from ledger.domain.raters import REFERENCE_DISCIPLINES
from ledger.store.db import create_engine
from ledger.store.migrate import upgrade
from ledger.store.records import Actor
from ledger.store.sql_store import SQLEventStore
from ledger.store.tables import people
from ledger.use_cases.sql_views import sql_ledger

__all__ = ["FULL", "QUICK", "SEED", "DataSet", "PlannedArticle", "Rating", "Sizes", "load", "plan"]

SEED = 20240501


@dataclass(frozen=True)
class Sizes:
    articles: int
    raters: int
    subscribers: int
    requests: int  # timed requests per measurement, at most
    warmup: int  # untimed requests before them
    seconds: float  # time limit of the timed phase
    miss_articles: int  # articles whose pages a miss run cycles over, a write before each
    load_writers: int  # concurrent loaders (article streams are independent)


FULL = Sizes(1000, 50, 300, 4000, 200, 15.0, 200, 4)
QUICK = Sizes(30, 12, 20, 40, 10, 3.0, 30, 2)

# -- the data set -------------------------------------------------------------------------

TOPICS = (
    "Back Pain", "Chronic Low Back Pain", "Asthma", "COPD", "Heart Failure",
    "Atrial Fibrillation", "Hypertension", "Type 2 Diabetes", "Obesity", "Stroke",
    "Dementia", "Depression", "Anxiety", "Sepsis", "Pneumonia", "Osteoarthritis",
    "Rheumatoid Arthritis", "Osteoporosis", "Falls Prevention", "Pressure Injuries",
    "Wound Care", "Palliative Care", "Opioid Stewardship", "Antimicrobial Resistance",
    "Vaccination", "Smoking Cessation", "Alcohol Use", "Breast Cancer", "Colorectal Cancer",
    "Prostate Cancer", "Chronic Kidney Disease", "Neonatal Care", "Pregnancy", "Delirium",
    "Multimorbidity", "Nutrition Support", "Telehealth", "Sleep Disorders", "Concussion",
    "Rehabilitation",
)  # fmt: skip
INTERVENTIONS = (
    "Supervised exercise", "Early mobilisation", "Nurse-led follow-up", "Intradiscal injection",
    "Vitamin D supplementation", "Cognitive behavioural therapy", "Telemonitoring",
    "Pharmacist medication review", "High-intensity interval training", "Dietary counselling",
)  # fmt: skip
POPULATIONS = (
    "older adults", "adults in primary care", "hospitalised patients", "children",
    "people living in the community", "patients after surgery", "care-home residents",
)  # fmt: skip
SENTENCES = (
    "The primary objective was to appraise the evidence for the intervention.",
    "Secondary outcomes included physical function and adverse events at twelve months.",
    "Overall, sixteen studies with 607 participants were included without pooling.",
    "The certainty of the evidence was very low owing to heterogeneity and imprecision.",
    "No serious adverse events were reported after the intervention.",
    "Participants were randomised in a one-to-one ratio with concealed allocation.",
    "The trial was stopped early for benefit after the second interim analysis.",
    "Adherence to the protocol was high in both groups throughout follow-up.",
    "Subgroup analyses suggested a larger effect in older participants.",
    "Costs were lower in the intervention group, largely through fewer admissions.",
    "Results were robust to sensitivity analyses excluding studies at high risk of bias.",
    "Health-related quality of life improved modestly and the gain persisted at one year.",
    "Recruitment was slower than planned, and the target sample size was not reached.",
)
RATER_COMMENTS = (
    "There may well be something to this, but the level of evidence is very low.",
    "Interesting, though the population is unlike ours and follow-up is short.",
    "Well-conducted trial; I will share it with the team at our next journal club.",
    "The secondary outcome is more important as it does not rely on pain scores. Anatomical "
    "findings were inconsistent across studies.",
    "Useful confirmation of what we already do; no change to practice needed.",
    "As the GRADE evaluation shows, caution is needed, but it brings new knowledge to clinicians.",
)
SUBSCRIBER_COMMENTS = (
    "Does anyone know whether the intervention group had more physiotherapy visits?",
    "We tried this on our ward last year with similar results.",
    "The supplementary appendix has the per-protocol numbers, which are less convincing.",
    "Thanks for flagging this one.",
    "I would be cautious: the comparator was not usual care in most sites.",
)
SURNAMES = (
    "Her", "Kubrova", "Martinez Alvarez", "D'Souza", "Smith", "Nguyen", "Okafor", "Larsen",
    "Rossi", "Tanaka", "Silva", "Kowalski", "Haddad", "Murphy", "Chen", "Andersson",
)  # fmt: skip
EDITOR = Actor("bench-editor", "editor")


@dataclass(frozen=True)
class Rating:
    rater_id: str
    relevance: int
    newsworthiness: int
    comment: str | None


@dataclass(frozen=True)
class PlannedArticle:
    article_id: str
    citation: dict[str, Any]
    topics: list[str]
    ratings: list[Rating]
    comments: list[tuple[str, str]]  # (subscriber id, body)


@dataclass(frozen=True)
class DataSet:
    raters: dict[str, str]  # rater id -> discipline
    subscribers: dict[str, str | None]  # subscriber id -> display name (None: anonymous)
    articles: list[PlannedArticle]

    @property
    def use_cases(self) -> int:
        return (
            len(REFERENCE_DISCIPLINES)
            + len(self.raters)
            + sum(1 + len(a.ratings) + len(a.comments) for a in self.articles)
        )


def _citation(rng: random.Random, number: int, topics: list[str]) -> dict[str, Any]:
    journal, abbreviation = rng.choice(JOURNALS)
    study_type = rng.choice(STUDY_TYPES)
    published = date(2018, 1, 1) + timedelta(days=rng.randrange(7 * 365))
    first_page = rng.randrange(1, 3000)
    return {
        "title": (
            f"{rng.choice(INTERVENTIONS)} for {topics[0].lower()} in {rng.choice(POPULATIONS)}:"
            f" a {study_type.lower()} ({number})"
        ),
        "authors": [
            f"{rng.choice(SURNAMES)} {chr(65 + rng.randrange(26))}{chr(65 + rng.randrange(26))}"
            for _ in range(rng.randint(1, 9))
        ],
        "journal": journal,
        "journal_abbreviation": abbreviation,
        "published_on": published.isoformat(),
        "volume": str(rng.randint(1, 400)),
        "issue": str(rng.randint(1, 12)) if rng.random() < 0.8 else None,
        "pages": f"{first_page}-{first_page + rng.randint(5, 25)}",
        "doi": f"10.{rng.randint(1000, 9999)}/bench.{number}",
        "pmid": str(30_000_000 + number) if rng.random() < 0.7 else None,
        "publication_note": f"eCollection {published.year}" if rng.random() < 0.2 else None,
        "study_type": study_type,
        "abstract": " ".join(rng.sample(SENTENCES, rng.randint(6, 10))),
    }


def plan(sizes: Sizes, seed: int = SEED) -> DataSet:
    """The same data set for a seed: who rates what, who comments where."""
    rng = random.Random(seed)
    raters = {
        f"rater-{n:03d}": REFERENCE_DISCIPLINES[n % len(REFERENCE_DISCIPLINES)]
        for n in range(sizes.raters)
    }
    by_discipline: dict[str, list[str]] = {}
    for rater_id, discipline in raters.items():
        by_discipline.setdefault(discipline, []).append(rater_id)
    # Most subscribers have a display name; the rest show as "Subscriber".
    subscribers = {
        f"subscriber-{n:04d}": (f"Subscriber {n}" if rng.random() < 0.8 else None)
        for n in range(sizes.subscribers)
    }
    articles = []
    for number in range(sizes.articles):
        topics = rng.sample(TOPICS, rng.randint(2, 3))
        disciplines = rng.sample(sorted(by_discipline), rng.randint(2, 3))
        candidates = [r for d in disciplines for r in by_discipline[d]]
        ratings = [
            Rating(
                rater_id,
                rng.randint(3, 7),  # newsworthiness is asked above 2
                rng.randint(1, 7),
                rng.choice(RATER_COMMENTS) if rng.random() < 0.7 else None,
            )
            for rater_id in rng.sample(candidates, min(len(candidates), rng.randint(3, 8)))
        ]
        comments = [
            (rng.choice(list(subscribers)), rng.choice(SUBSCRIBER_COMMENTS))
            for _ in range(rng.choice((0, 0, 0, 1, 1, 2, 3)))
        ]
        articles.append(
            PlannedArticle(
                f"{rng.getrandbits(64):016x}",
                _citation(rng, number, topics),
                topics,
                ratings,
                comments,
            )
        )
    return DataSet(raters, subscribers, articles)


async def load(url: str, data: DataSet, writers: int) -> int:
    """Migrate, then write the data set through the use cases; return the ledger position."""
    engine = create_engine(url)
    try:
        await upgrade(engine)
        store = SQLEventStore(engine)
        ledger = sql_ledger(store)
        for name in REFERENCE_DISCIPLINES:
            await ledger.execute(RegisterDiscipline(name=name), actor=EDITOR)
        for rater_id, discipline in data.raters.items():
            await ledger.execute(
                EnrolRater(
                    rater_id=rater_id, discipline=discipline, display_name=f"Rater {rater_id}"
                ),
                actor=EDITOR,
            )
        async with engine.begin() as conn:  # display names live outside the chain
            await conn.execute(
                insert(people),
                [
                    {"person_id": person_id, "display_name": name}
                    for person_id, name in data.subscribers.items()
                    if name is not None
                ],
            )

        async def write(article: PlannedArticle) -> None:
            await ledger.execute(
                RegisterArticle(
                    article_id=article.article_id, citation=article.citation, topics=article.topics
                ),
                actor=EDITOR,
            )
            for r in article.ratings:
                await ledger.execute(
                    SubmitRating(
                        article_id=article.article_id,
                        rater_id=r.rater_id,
                        relevance=r.relevance,
                        newsworthiness=r.newsworthiness,
                        comment=r.comment,
                    ),
                    actor=Actor(r.rater_id, "rater"),
                )
            for author, body in article.comments:
                await ledger.execute(
                    PostComment(article_id=article.article_id, author_id=author, body=body),
                    actor=Actor(author, "subscriber"),
                )

        async def writer(share: Sequence[PlannedArticle]) -> None:
            for article in share:
                await write(article)

        async with asyncio.TaskGroup() as group:
            for n in range(writers):
                group.create_task(writer(data.articles[n::writers]))
        return (await store.head()).position
    finally:
        await engine.dispose()


# -- statements per request, in-process ----------------------------------------------------
