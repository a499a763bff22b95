"""A valid ledger of N events, written straight into a freshly migrated database.

Disciplines and raters come first, on their own streams. Then articles arrive over time: a
pool of open articles, each with a heavy-tailed number of events to receive, is drawn from at
random, so positions interleave many streams. Every article event is decided by the domain's
own ``decide_*`` functions on the state folded with ``evolve``, so the ledger is valid by
construction (rating ids ``{article}.r{version}``, at most one active rating per rater, only
visible comments hidden, ...). Rows are sealed exactly as ``ledger.store.sealing`` seals them, and
bulk-inserted in large batches, one transaction each; the ledger head is set at the end.

The generator also keeps running totals of what the views must show, so a rebuild of any size
can be checked cheaply (``check_views``); ``validate`` does the full proof at small sizes.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from ledger.audit.chain import verify_chain
from ledger.domain import articles, comments, raters, ratings
from ledger.domain.events import DisciplineRegistered, DomainEvent, RaterEnrolled
from ledger.projections.tables import live_views
from ledger.replay.rebuild import rebuild, verify_projections
from ledger.store.canonical import GENESIS_HASH, canonical_bytes, canonical_json, chain_hash
from ledger.store.records import Actor, EventMetadata
from ledger.store.sealing import metadata_document
from ledger.store.sql_store import SQLEventStore
from ledger.store.tables import HEAD_ID, events, ledger_head, people

__all__ = ["Expected", "Generated", "check_views", "generate", "raters_for", "validate"]

BATCH_ROWS = 20_000
POOL = 400  # articles open at once, at most: how many streams the log interleaves
MAX_LIFETIME = 400  # events of one article, registration included
START = datetime(2023, 1, 2, 8, 0, tzinfo=UTC)
EDITORS = tuple(Actor(f"editor-{n}", "editor") for n in range(1, 6))
SUBSCRIBERS = 5000

# Shares of an article's events after its registration (the rest of the mix is retraction).
RATING, COMMENT, MODERATION, TOPICS, CORRECTION = 0.85, 0.10, 0.025, 0.012, 0.012
SUBMIT, REVISE = 0.75, 0.20  # of rating events; the rest are withdrawals

TOPIC_POOL = tuple(
    f"{organ} {condition}"
    for organ in (
        "Cardiac",
        "Renal",
        "Hepatic",
        "Pulmonary",
        "Spinal",
        "Neonatal",
        "Geriatric",
        "Paediatric",
        "Oncologic",
        "Vascular",
        "Cognitive",
        "Metabolic",
    )
    for condition in (
        "Failure",
        "Pain",
        "Infection",
        "Rehabilitation",
        "Screening",
        "Nutrition",
        "Prevention",
        "Pharmacotherapy",
        "Surgery",
        "Outcomes",
    )
)
JOURNALS = (
    ("Journal of Pain Research", "J Pain Res"),
    ("The Lancet", "Lancet"),
    ("BMJ Open", "BMJ Open"),
    ("JAMA Internal Medicine", "JAMA Intern Med"),
    ("Physical Therapy", "Phys Ther"),
    ("Journal of Advanced Nursing", "J Adv Nurs"),
    ("Clinical Nutrition", "Clin Nutr"),
    ("Age and Ageing", "Age Ageing"),
    ("Cochrane Database of Systematic Reviews", "Cochrane Database Syst Rev"),
    ("New England Journal of Medicine", "N Engl J Med"),
)
STUDY_TYPES = (
    "Randomized controlled trial",
    "Systematic review",
    "Meta-analysis",
    "Cohort",
    "Case-control",
    "Cross-sectional",
    "Qualitative",
    "Guideline",
)
WORDS = (
    "effect", "efficacy", "safety", "outcomes", "intervention", "early", "late", "adults",
    "older", "children", "patients", "randomized", "multicentre", "pragmatic", "exercise",
    "therapy", "injection", "dose", "supplementation", "training", "community", "hospital",
    "primary", "care", "acute", "chronic", "severe", "mild", "versus", "placebo", "usual",
    "follow-up", "mortality", "function", "quality", "of", "life",
)  # fmt: skip
SENTENCES = (
    "Pain originating from the intervertebral disc is a prevalent cause of low back pain.",
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
)
RATING_COMMENTS = (
    "Practice-changing for stroke units: the absolute risk reduction is modest.",
    "There may well be something to this, but the level of evidence is very low.",
    "Interesting, though the population is unlike ours and follow-up is short.",
    "Well-conducted trial; I will share it with the team at our next journal club.",
    "The secondary outcome is more important as it does not rely on pain scores. "
    "Anatomical findings were inconsistent across studies.",
    "Useful confirmation of what we already do; no change to practice needed.",
)
COMMENT_BODIES = (
    "Does anyone know whether the intervention group had more physiotherapy visits?",
    "We tried this on our ward last year with similar results.",
    "The supplementary appendix has the per-protocol numbers, which are less convincing.",
    "Thanks for flagging this one.",
    "I would be cautious: the comparator was not usual care in most sites.",
)
SURNAMES = (
    "Her", "Kubrova", "Martinez", "D'Souza", "Smith", "Nguyen", "Okafor", "Larsen", "Rossi",
    "Tanaka", "Silva",
)  # fmt: skip


@dataclass
class Expected:
    """What the live views must hold after a rebuild of the generated ledger."""

    article_views: int = 0
    article_topics: int = 0
    discipline_scores: int = 0
    active_ratings: int = 0
    subscriber_comments: int = 0
    raters: int = 0
    disciplines: int = 0
    hidden_comments: int = 0
    retracted: int = 0
    relevance_sum: int = 0
    newsworthiness_sum: int = 0
    rating_versions: int = 0  # every submission, revision and withdrawal


@dataclass(frozen=True)
class Generated:
    events: int
    seconds: float
    insert_seconds: float
    head_hash: str
    expected: Expected
    types: Counter[str]

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds


@dataclass
class _Open:
    """An article in the pool: its folded state and how many more events it will get."""

    state: articles.Article
    remaining: int
    by_discipline: Counter[str] = field(default_factory=Counter)  # active ratings


def raters_for(total_events: int) -> int:
    """A few thousand raters at full size, fewer in a tiny ledger."""
    return max(24, min(3000, total_events // 40))


class _Generator:
    def __init__(self, total: int, seed: int) -> None:
        self.total = total
        self.rng = random.Random(seed)
        self.position = 0
        self.previous = GENESIS_HASH
        self.clock_us = 0
        self.recorded_at = START
        self.expected = Expected()
        self.types: Counter[str] = Counter()
        self.raters: list[articles.Rater] = []
        self.people: list[dict[str, Any]] = []
        self.pool: list[_Open] = []
        self.pool_size = max(20, min(POOL, total // 100))

    # -- sealing ------------------------------------------------------------------------

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _hex(self, bits: int = 64) -> str:
        return f"{self.rng.getrandbits(bits):0{bits // 4}x}"

    def seal(
        self, stream_id: str, version: int, event: DomainEvent, actor: Actor
    ) -> dict[str, Any]:
        """One row, sealed as ``ledger.store.sealing.seal`` and ``ledger.store.sqlite``'s
        ``_event_row`` do it."""
        self.position += 1
        self.clock_us += self.rng.randint(1_000, 2_000_000)
        recorded_at = START + timedelta(microseconds=self.clock_us)
        payload_json = canonical_json(event.to_payload())
        metadata = EventMetadata(
            recorded_at=recorded_at,
            actor=actor,
            idempotency_key=None,
            correlation_id=self._uuid(),
            causation_id=None,
        )
        digest = chain_hash(
            self.previous,
            canonical_bytes(
                position=self.position,
                stream_id=stream_id,
                stream_version=version,
                event_type=event.type_name,
                schema_version=event.schema_version,
                payload_json=payload_json,
                metadata=metadata_document(metadata),
            ),
        )
        self.previous = digest
        self.recorded_at = recorded_at
        self.types[event.type_name] += 1
        return {
            "position": self.position,
            "stream_id": stream_id,
            "stream_version": version,
            "event_type": event.type_name,
            "schema_version": event.schema_version,
            "payload": payload_json,
            "recorded_at": recorded_at,
            "actor_id": actor.id,
            "actor_role": actor.role,
            "idempotency_key": None,
            "correlation_id": metadata.correlation_id,
            "causation_id": None,
            "hash": digest,
        }

    # -- the log ------------------------------------------------------------------------

    def rows(self) -> Iterator[dict[str, Any]]:
        editor = EDITORS[0]
        for name in raters.REFERENCE_DISCIPLINES:
            yield self.seal(
                raters.discipline_stream_id(name), 1, DisciplineRegistered(name), editor
            )
            self.expected.disciplines += 1
        for number in range(raters_for(self.total)):
            discipline = raters.REFERENCE_DISCIPLINES[number % len(raters.REFERENCE_DISCIPLINES)]
            rater_id, person_id = self._hex(), self._hex(128)
            self.raters.append(articles.Rater(rater_id, discipline))
            self.people.append({"person_id": person_id, "display_name": f"Rater {number}"})
            event = RaterEnrolled(rater_id, person_id, discipline)
            yield self.seal(raters.rater_stream_id(rater_id), 1, event, editor)
            self.expected.raters += 1
        while self.position < self.total:
            if len(self.pool) < self.pool_size and (not self.pool or self.rng.random() < 0.25):
                yield self._register()
                continue
            index = self.rng.randrange(len(self.pool))
            article = self.pool[index]
            yield self._next_event(article)
            article.remaining -= 1
            # A retracted article's ratings and comments are final: nothing more comes to it.
            if article.remaining <= 0 or article.state.retracted:
                self.pool[index] = self.pool[-1]
                self.pool.pop()

    def _register(self) -> dict[str, Any]:
        rng = self.rng
        article_id = self._hex()
        journal, abbreviation = rng.choice(JOURNALS)
        year, number = rng.randint(2015, 2024), rng.randint(1, 10**7)
        citation = {
            "title": " ".join(rng.choices(WORDS, k=rng.randint(8, 18))).capitalize(),
            "authors": [
                f"{rng.choice(SURNAMES)} {chr(65 + rng.randrange(26))}"
                for _ in range(rng.randint(1, 8))
            ],
            "journal": journal,
            "journal_abbreviation": abbreviation,
            "published_on": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "volume": str(rng.randint(1, 400)),
            "issue": str(rng.randint(1, 12)) if rng.random() < 0.7 else None,
            "pages": f"{number % 3000 + 1}-{number % 3000 + rng.randint(5, 20)}",
            "doi": f"10.{rng.randint(1000, 9999)}/{article_id}.{year}",
            "pmid": str(rng.randint(10**7, 4 * 10**7)) if rng.random() < 0.8 else None,
            "publication_note": "eCollection" if rng.random() < 0.1 else None,
            "study_type": rng.choice(STUDY_TYPES),
            "abstract": " ".join(rng.choices(SENTENCES, k=rng.randint(6, 14))),
        }
        topics = self._topics()
        (event,) = articles.decide_register(None, article_id, citation, topics)
        state = articles.evolve(None, event)
        lifetime = min(MAX_LIFETIME, 1 + int(rng.paretovariate(1.5) * 8))
        self.pool.append(_Open(state, lifetime - 1))
        self.expected.article_views += 1
        self.expected.article_topics += len(state.topics)
        return self.seal(articles.stream_id(article_id), 1, event, rng.choice(EDITORS))

    def _topics(self) -> list[str]:
        return self.rng.sample(TOPIC_POOL, self.rng.randint(1, 4))

    def _next_event(self, article: _Open) -> dict[str, Any]:
        rng, state = self.rng, article.state
        draw = rng.random()
        decided: tuple[list[DomainEvent], Actor] | None = None
        if draw < RATING:
            decided = self._rating(article)
        elif draw < RATING + MODERATION:
            decided = self._moderation(state)
        elif draw < RATING + MODERATION + TOPICS:
            topics = self._topics()
            if tuple(topics) != state.topics:
                changed = articles.decide_change_topics(state, state.article_id, topics)
                self.expected.article_topics += len(topics) - len(state.topics)
                decided = changed, rng.choice(EDITORS)
        elif draw < RATING + MODERATION + TOPICS + CORRECTION:
            decided = self._correction(state)
        elif draw >= RATING + MODERATION + TOPICS + CORRECTION + COMMENT and not state.retracted:
            reason = "Retracted by the journal: data could not be verified."
            self.expected.retracted += 1
            decided = articles.decide_retract(state, state.article_id, reason), EDITORS[0]
        if decided is None:  # a comment, or whatever else was not possible now
            author = f"subscriber-{rng.randrange(SUBSCRIBERS)}"
            body = rng.choice(COMMENT_BODIES)
            self.expected.subscriber_comments += 1
            posted = comments.decide_post_comment(state, state.article_id, author, body)
            decided = posted, Actor(author, "subscriber")
        (event,), actor = decided
        article.state = articles.evolve(state, event)
        return self.seal(articles.stream_id(state.article_id), article.state.version, event, actor)

    def _rating(self, article: _Open) -> tuple[list[DomainEvent], Actor] | None:
        rng, state, expected = self.rng, article.state, self.expected
        draw = rng.random()
        if state.ratings and (draw >= SUBMIT or state.retracted):
            current = rng.choice(list(state.ratings.values()))
            rater = articles.Rater(current.rater_id, current.discipline)
            if draw < SUBMIT + REVISE or (state.retracted and draw < SUBMIT):
                relevance, newsworthiness, comment = self._scores()
                while (relevance, newsworthiness) == (current.relevance, current.newsworthiness):
                    relevance, newsworthiness, comment = self._scores()
                expected.relevance_sum += relevance - current.relevance
                expected.newsworthiness_sum += newsworthiness - current.newsworthiness
                revised = ratings.decide_revise_rating(
                    state, state.article_id, rater, relevance, newsworthiness, comment
                )
                return revised, Actor(rater.rater_id, "rater")
            expected.relevance_sum -= current.relevance
            expected.newsworthiness_sum -= current.newsworthiness
            expected.active_ratings -= 1
            article.by_discipline[current.discipline] -= 1
            if article.by_discipline[current.discipline] == 0:
                expected.discipline_scores -= 1
            withdrawn = ratings.decide_withdraw_rating(state, state.article_id, rater)
            return withdrawn, Actor(rater.rater_id, "rater")
        if state.retracted:
            return None
        for _ in range(8):
            rater = rng.choice(self.raters)
            if rater.rater_id not in state.ratings:
                break
        else:
            return None
        relevance, newsworthiness, comment = self._scores()
        expected.relevance_sum += relevance
        expected.newsworthiness_sum += newsworthiness
        expected.active_ratings += 1
        article.by_discipline[rater.discipline] += 1
        if article.by_discipline[rater.discipline] == 1:
            expected.discipline_scores += 1
        submitted = ratings.decide_submit_rating(
            state, state.article_id, rater, relevance, newsworthiness, comment
        )
        return submitted, Actor(rater.rater_id, "rater")

    def _scores(self) -> tuple[int, int, str | None]:
        rng = self.rng
        comment = rng.choice(RATING_COMMENTS) if rng.random() < 0.4 else None
        # Both scales: the form asks newsworthiness only above a relevance of 2.
        return rng.randint(3, 7), rng.randint(1, 7), comment

    def _moderation(self, state: articles.Article) -> tuple[list[DomainEvent], Actor] | None:
        if not state.comments:
            return None
        comment = self.rng.choice(list(state.comments.values()))
        if comment.hidden:
            self.expected.hidden_comments -= 1
            reason = "Restored after review: the comment is within the guidelines."
            restored = comments.decide_restore_comment(
                state, state.article_id, comment.comment_id, reason
            )
            return restored, EDITORS[1]
        self.expected.hidden_comments += 1
        reason = "Hidden: the comment names a patient."
        hidden = comments.decide_hide_comment(state, state.article_id, comment.comment_id, reason)
        return hidden, EDITORS[1]

    def _correction(self, state: articles.Article) -> tuple[list[DomainEvent], Actor]:
        rng = self.rng
        field_name = rng.choice(("pages", "volume", "issue", "title", "authors"))
        value: Any
        if field_name == "title":
            value = f"{state.citation['title']} (corrected)"
        elif field_name == "authors":
            value = [*state.citation["authors"], f"{rng.choice(SURNAMES)} {rng.choice('ABCDE')}"]
        else:
            value = str(rng.randint(1, 10**6))
            if value == state.citation[field_name]:
                value += "a"
        reason = f"Erratum: the {field_name} were misprinted in the first record."
        corrected = articles.decide_correct(state, state.article_id, {field_name: value}, reason)
        return corrected, rng.choice(EDITORS)


async def generate(
    engine: AsyncEngine, total: int, *, seed: int = 20241125, batch_rows: int = BATCH_ROWS
) -> Generated:
    """Fill the empty, migrated ledger of ``engine`` with ``total`` valid events."""
    started = time.perf_counter()
    generator = _Generator(total, seed)
    insert_seconds = await insert_rows(engine, generator.rows(), batch_rows)
    generator.expected.rating_versions = sum(
        generator.types[name] for name in ("RatingSubmitted", "RatingRevised", "RatingWithdrawn")
    )
    async with engine.begin() as conn:
        await conn.execute(insert(people), generator.people)
        await conn.execute(
            update(ledger_head)
            .where(ledger_head.c.id == HEAD_ID)
            .values(
                position=generator.position,
                hash=generator.previous,
                recorded_at=generator.recorded_at,
            )
        )
    return Generated(
        events=generator.position,
        seconds=time.perf_counter() - started,
        insert_seconds=insert_seconds,
        head_hash=generator.previous,
        expected=generator.expected,
        types=generator.types,
    )


async def check_views(engine: AsyncEngine, expected: Expected) -> list[str]:
    """Differences between the live views and the generator's running totals (cheap)."""
    v = live_views
    found = Expected()
    async with engine.connect() as conn:

        async def count(table: Any, *where: Any) -> int:
            value = await conn.scalar(select(func.count()).select_from(table).where(*where))
            return int(value or 0)

        found.article_views = await count(v.article_views)
        found.article_topics = await count(v.article_topics)
        found.discipline_scores = await count(v.discipline_scores)
        found.active_ratings = await count(v.active_ratings)
        found.subscriber_comments = await count(v.subscriber_comments)
        found.raters = await count(v.raters)
        found.disciplines = await count(v.disciplines)
        found.hidden_comments = await count(
            v.subscriber_comments, v.subscriber_comments.c.hidden.is_(True)
        )
        found.retracted = await count(v.article_views, v.article_views.c.retracted.is_(True))
        scores = v.discipline_scores.c
        sums = (
            await conn.execute(
                select(
                    func.coalesce(func.sum(scores.relevance_sum), 0),
                    func.coalesce(func.sum(scores.newsworthiness_sum), 0),
                    func.coalesce(func.sum(scores.rating_count), 0),
                )
            )
        ).one()
        found.relevance_sum, found.newsworthiness_sum = int(sums[0]), int(sums[1])
        rating_count = int(sums[2])
        found.rating_versions = await count(v.rating_versions)
    problems = [
        f"{name}: expected {getattr(expected, name)}, found {getattr(found, name)}"
        for name in vars(expected)
        if getattr(expected, name) != getattr(found, name)
    ]
    if rating_count != expected.active_ratings:
        problems.append(f"rating_count sum {rating_count} != {expected.active_ratings} ratings")
    return problems


async def validate(engine: AsyncEngine, generated: Generated) -> None:
    """The full proof: the chain holds, and a rebuild equals a replay and the running totals."""
    chain = await verify_chain(engine)
    assert chain.ok, f"generated chain is broken: {chain}"
    assert chain.checked_events == generated.events, chain
    assert chain.head_hash == generated.head_hash, chain
    store = SQLEventStore(engine)
    await rebuild(store)
    report = await verify_projections(store)
    assert report.ok, f"views after rebuild differ from a replay: {report}"
    problems = await check_views(engine, generated.expected)
    assert not problems, f"views after rebuild differ from the generator: {problems}"


async def insert_rows(
    engine: AsyncEngine, rows: Iterable[dict[str, Any]], batch_rows: int = BATCH_ROWS
) -> float:
    """Insert generated event rows in batches, a transaction each; the seconds it took."""
    insert_seconds = 0.0
    batch: list[dict[str, Any]] = []

    async def flush() -> None:
        nonlocal insert_seconds, batch
        began = time.perf_counter()
        async with engine.begin() as conn:
            await conn.execute(insert(events), batch)
        insert_seconds += time.perf_counter() - began
        batch = []

    for row in rows:
        batch.append(row)
        if len(batch) >= batch_rows:
            await flush()
    if batch:
        await flush()
    return insert_seconds
