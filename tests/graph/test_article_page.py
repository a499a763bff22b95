"""A front-end draws an article page from one query; lists page and filter; raters are unnamed."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ledger.store.tables import people
from tests.graph.conftest import Api
from tests.graph.helpers import SAMPLE_ID, article_global_id, ask_nurses, enrol, rate, register

SEED_RECORD = Path(__file__).parent.parent / "fixtures" / "seed_e7d05feceeac5a68.txt"
NBSP = "\u00a0"

ARTICLE_PAGE = """
query ArticlePage($id: ID!) {
  article(id: $id) {
    id
    citation {
      line title authors journal journalAbbreviation publishedOn volume issue pages doi pmid
      publicationNote
    }
    studyType
    abstract
    retracted
    version
    disciplineScores {
      discipline { name } score outOf relevance newsworthiness ratingCount meetsThreshold
    }
    topics { name }
    raterComments { discipline { name } body postedAt }
    subscriberComments { id author body postedAt }
    relatedArticles { id citation { title } }
  }
}
"""

SAMPLE_COMMENTS = [
    "There may well be something to this, but the level of evidence is very low.",
    "This is an interesting review. The secondary outcome is more important as it does not rely "
    "on pain scores. The intradiscal injection of bone marrow resulted in positive anatomical "
    "changes on spine magnetic resonance imaging (improved disc height, disc water content, "
    "Pfirrmann grading), but anatomical findings were inconsistent across studies.",
    "As shown by GRADE's evaluation, it is necessary to be cautious because is not possible to "
    "conclude the treatment effect from this study alone, but I think that this study will bring "
    "new knowledge to clinicians.",
]


def draw_the_record_page(article: dict[str, Any]) -> str:
    """The reference service's record page, drawn only from the API's answer."""
    lines = [f"{article['citation']['line']} ({article['studyType']})", "", article["abstract"], ""]
    lines.append("Discipline Area Score")
    lines += [
        f"{s['discipline']['name']} {s['score']} / {s['outOf']}"
        for s in article["disciplineScores"]
        if s["score"] is not None
    ]
    lines.append("Show me more articles about:")
    lines.append(" ".join(f"{NBSP} {topic['name']}" for topic in article["topics"]))
    lines.append("Comments from MORE raters")
    for comment in article["raterComments"]:
        lines += ["", f"{comment['discipline']['name']} rater", "", comment["body"]]
    lines.append("Comments from PAIN+ CPN subscribers")
    lines.append("")
    if article["subscriberComments"] == []:
        lines.append("No subscriber has commented on this article yet.")
    for comment in article["subscriberComments"]:
        lines += [comment["author"], comment["body"]]
    return "\n".join(lines)


async def test_one_query_draws_the_seed_record(api: Api) -> None:
    response = await api.post(ARTICLE_PAGE, {"id": SAMPLE_ID})

    assert response.status_code == 200
    payload = response.json()
    assert "errors" not in payload
    article = payload["data"]["article"]
    assert draw_the_record_page(article) == SEED_RECORD.read_text(encoding="utf-8")


async def test_the_seed_record_answers_every_field_a_page_needs(api: Api) -> None:
    article = (await api.data(ARTICLE_PAGE, {"id": SAMPLE_ID}))["article"]

    assert article["id"] == article_global_id(SAMPLE_ID)
    assert article["citation"] == {
        "line": (
            "Her YF, Kubrova E, Martinez Alvarez GA, et al. The Analgesic Efficacy of Intradiscal "
            "Injection of Bone Marrow Aspirate Concentrate and Culture-Expanded Bone Marrow "
            "Mesenchymal Stromal Cells in Discogenic Pain: A Systematic Review. J Pain Res. "
            "2022 Oct 20;15:3299-3318. doi: 10.2147/JPR.S373345. eCollection 2022."
        ),
        "title": (
            "The Analgesic Efficacy of Intradiscal Injection of Bone Marrow Aspirate Concentrate "
            "and Culture-Expanded Bone Marrow Mesenchymal Stromal Cells in Discogenic Pain: "
            "A Systematic Review"
        ),
        "authors": ["Her YF", "Kubrova E", "Martinez Alvarez GA", "D'Souza RS"],
        "journal": "Journal of Pain Research",
        "journalAbbreviation": "J Pain Res",
        "publishedOn": "2022-10-20",
        "volume": "15",
        "issue": None,
        "pages": "3299-3318",
        "doi": "10.2147/JPR.S373345",
        "pmid": None,
        "publicationNote": "eCollection 2022",
    }
    assert article["studyType"] == "Systematic review"
    assert article["abstract"].startswith("Pain originating from the intervertebral disc")
    assert article["abstract"].endswith("except for a case of discitis.")
    assert article["retracted"] is False
    [physician] = article["disciplineScores"]
    assert physician["discipline"] == {"name": "Physician"}
    assert (physician["score"], physician["outOf"], physician["ratingCount"]) == (6, 7, 3)
    assert physician["relevance"] == 6.0
    assert physician["newsworthiness"] == (4 + 5 + 5) / 3
    assert physician["meetsThreshold"] is True
    assert article["topics"] == [{"name": "Back Pain"}, {"name": "Chronic Low Back Pain"}]
    assert [c["discipline"] for c in article["raterComments"]] == [{"name": "Physician"}] * 3
    assert [c["body"] for c in article["raterComments"]] == SAMPLE_COMMENTS
    assert all(c["postedAt"] for c in article["raterComments"])
    assert article["subscriberComments"] == []
    assert article["relatedArticles"] == []


async def test_article_accepts_the_global_id_and_the_plain_id(api: Api) -> None:
    by_plain = await api.data(ARTICLE_PAGE, {"id": SAMPLE_ID})
    by_global = await api.data(ARTICLE_PAGE, {"id": article_global_id(SAMPLE_ID)})

    assert by_plain == by_global
    assert by_plain["article"]["id"] == article_global_id(SAMPLE_ID)


async def test_an_unknown_article_is_null(api: Api) -> None:
    data = await api.data("query($id: ID!) { article(id: $id) { id } }", {"id": "0123456789abcdef"})

    assert data == {"article": None}


async def test_node_returns_the_article_by_its_global_id(api: Api) -> None:
    query = """
    query($id: ID!) {
      node(id: $id) { __typename id ... on Article { citation { title } studyType } }
    }
    """
    data = await api.data(query, {"id": article_global_id(SAMPLE_ID)})

    assert data["node"]["__typename"] == "Article"
    assert data["node"]["id"] == article_global_id(SAMPLE_ID)
    assert data["node"]["studyType"] == "Systematic review"
    assert data["node"]["citation"]["title"].startswith("The Analgesic Efficacy")


async def test_an_anonymous_response_names_no_rater(api: Api) -> None:
    await enrol(api, "nurse-jane", "Nurse", name="Jane Nightingale")
    await ask_nurses(api)
    await rate(api, SAMPLE_ID, "nurse-jane", 5, 5, "Useful for the ward.")
    async with api.services.engine.connect() as conn:
        rows = (await conn.execute(select(people.c.person_id, people.c.display_name))).all()
    identities = {"sample-physician", "nurse-jane"}
    identities |= {row.person_id for row in rows}
    identities |= {row.display_name for row in rows if row.display_name}
    assert {"Sample physician 1", "Jane Nightingale"} <= identities
    everything = """
    query($id: ID!, $globalId: ID!) {
      me { id }
      disciplines { name }
      topics { name articleCount }
      articles { edges { node { ...page } } }
      node(id: $globalId) { ...page }
      article(id: $id) { ...page }
    }
    fragment page on Article {
      id citation { line } studyType
      disciplineScores { discipline { name } score ratingCount }
      raterComments { discipline { name } body postedAt }
      subscriberComments { id author body }
    }
    """

    response = await api.post(
        everything, {"id": SAMPLE_ID, "globalId": article_global_id(SAMPLE_ID)}
    )

    assert response.status_code == 200
    assert "errors" not in response.json()
    assert "Useful for the ward." in response.text
    for identity in identities:
        assert identity not in response.text, identity


ARTICLES_PAGE = """
query($first: Int, $after: String) {
  articles(first: $first, after: $after) {
    edges { cursor node { id citation { title } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


async def all_pages(api: Api, first: int) -> list[dict[str, Any]]:
    pages, after = [], None
    while True:
        data = await api.data(ARTICLES_PAGE, {"first": first, "after": after})
        pages.append(data["articles"])
        if not data["articles"]["pageInfo"]["hasNextPage"]:
            return pages
        after = data["articles"]["pageInfo"]["endCursor"]


def titles(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["citation"]["title"] for edge in connection["edges"]]


async def test_articles_pages_newest_first_without_gaps_or_repeats(api: Api) -> None:
    registered = [f"Trial number {n}" for n in range(1, 8)]
    for title in registered:
        await register(api, title, ["Pain"])
    sample_title = (await api.data(ARTICLE_PAGE, {"id": SAMPLE_ID}))["article"]["citation"]

    pages = await all_pages(api, first=3)

    assert [len(page["edges"]) for page in pages] == [3, 3, 2]
    seen = [title for page in pages for title in titles(page)]
    assert seen == [*reversed(registered), sample_title["title"]]
    assert [page["pageInfo"]["hasNextPage"] for page in pages] == [True, True, False]
    assert [page["pageInfo"]["hasPreviousPage"] for page in pages] == [False, True, True]
    for page in pages:
        assert page["pageInfo"]["startCursor"] == page["edges"][0]["cursor"]
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]


async def test_articles_cursors_are_opaque(api: Api) -> None:
    for n in range(3):
        await register(api, f"Opaque {n}", ["Pain"])

    edges = (await api.data(ARTICLES_PAGE, {"first": 10}))["articles"]["edges"]

    cursors = [edge["cursor"] for edge in edges]
    assert len(set(cursors)) == len(cursors)
    for edge in edges:
        plain_id = base64.b64decode(edge["node"]["id"]).decode().partition(":")[2]
        assert not edge["cursor"].isdigit()
        assert plain_id not in edge["cursor"]
        assert edge["cursor"] != edge["node"]["id"]


async def test_articles_registered_while_paging_cause_no_repeats(api: Api) -> None:
    for n in range(1, 6):
        await register(api, f"Before {n}", ["Pain"])
    first_page = (await api.data(ARTICLES_PAGE, {"first": 2}))["articles"]

    await register(api, "Registered while paging", ["Pain"])
    rest = (
        await api.data(ARTICLES_PAGE, {"first": 10, "after": first_page["pageInfo"]["endCursor"]})
    )["articles"]

    assert titles(first_page) == ["Before 5", "Before 4"]
    assert titles(rest)[:3] == ["Before 3", "Before 2", "Before 1"]
    assert len(titles(rest)) == 4  # and the sample article; not the new one
    assert "Registered while paging" not in titles(rest)


async def test_the_page_after_the_last_is_empty(api: Api) -> None:
    last = (await api.data(ARTICLES_PAGE, {"first": 5}))["articles"]

    after = (await api.data(ARTICLES_PAGE, {"first": 5, "after": last["pageInfo"]["endCursor"]}))[
        "articles"
    ]

    assert len(last["edges"]) == 1
    assert last["pageInfo"]["hasNextPage"] is False
    assert after["edges"] == []
    assert after["pageInfo"]["hasNextPage"] is False
    assert after["pageInfo"]["endCursor"] is None


FILTERED = """
query($topic: String, $discipline: String, $minScore: Int, $studyType: String, $search: String) {
  articles(first: 50, topic: $topic, discipline: $discipline, minScore: $minScore,
           studyType: $studyType, search: $search) {
    edges { node { citation { title } } }
  }
}
"""

SAMPLE_TITLE_START = "The Analgesic Efficacy"


async def filtered(api: Api, **arguments: Any) -> list[str]:
    data = await api.data(FILTERED, arguments)
    return [
        "sample" if title.startswith(SAMPLE_TITLE_START) else title
        for title in titles(data["articles"])
    ]


async def test_articles_filters_select_what_they_say(api: Api) -> None:
    neck = await register(api, "Exercise therapy for chronic neck pain", ["Neck Pain", "Exercise"])
    knee = await register(
        api,
        "Acupuncture for knee osteoarthritis",
        ["Knee Pain", "Acupuncture"],
        study_type="Systematic review",
    )
    yoga = await register(
        api,
        "Yoga for chronic low back pain",
        ["Back Pain", "Exercise"],
        abstract="Twelve weeks of gentle stretching classes.",
    )
    for n in (1, 2, 3):
        await enrol(api, f"nurse-{n}", "Nurse")
    for rater_id, relevance in zip(("nurse-1", "nurse-2", "nurse-3"), (6, 6, 7), strict=True):
        await rate(api, neck, rater_id, relevance, 5)
    for rater_id in ("nurse-1", "nurse-2", "nurse-3"):  # a low score: 3 (newsworthiness
        await rate(api, knee, rater_id, 3, 2)  # is asked only above a relevance of 2)
    for rater_id in ("nurse-1", "nurse-2"):  # two ratings: the score is still pending
        await rate(api, yoga, rater_id, 7, 7)
    neck_t = "Exercise therapy for chronic neck pain"
    knee_t = "Acupuncture for knee osteoarthritis"
    yoga_t = "Yoga for chronic low back pain"

    assert await filtered(api) == [yoga_t, knee_t, neck_t, "sample"]
    assert await filtered(api, topic="Exercise") == [yoga_t, neck_t]
    assert await filtered(api, topic="Back Pain") == [yoga_t, "sample"]
    assert await filtered(api, topic="No such topic") == []
    assert await filtered(api, discipline="Nurse") == [yoga_t, knee_t, neck_t]
    assert await filtered(api, discipline="Physician") == ["sample"]
    assert await filtered(api, minScore=5) == [neck_t, "sample"]
    assert await filtered(api, minScore=2) == [knee_t, neck_t, "sample"]
    assert await filtered(api, minScore=7) == []
    assert await filtered(api, minScore=5, discipline="Nurse") == [neck_t]
    assert await filtered(api, minScore=5, discipline="Physician") == ["sample"]
    assert await filtered(api, studyType="Systematic review") == [knee_t, "sample"]
    assert await filtered(api, studyType="Randomized controlled trial") == [yoga_t, neck_t]
    assert await filtered(api, search="acupuncture") == [knee_t]
    assert await filtered(api, search="STRETCHING") == [yoga_t]  # the abstract is searched too
    assert await filtered(api, search="discogenic") == ["sample"]
    assert await filtered(api, search="%") == []  # a LIKE wildcard is a plain character
    assert await filtered(api, search="_") == []
    assert await filtered(api, topic="Exercise", studyType="Randomized controlled trial") == [
        yoga_t,
        neck_t,
    ]
    assert await filtered(api, topic="Exercise", search="neck") == [neck_t]


RELATED = """
query($id: ID!, $first: Int!) {
  article(id: $id) { relatedArticles(first: $first) { id citation { title } } }
}
"""


async def related(api: Api, article_id: str, first: int = 10) -> list[str]:
    data = await api.data(RELATED, {"id": article_id, "first": first})
    return [a["citation"]["title"] for a in data["article"]["relatedArticles"]]


async def test_related_articles_rank_by_shared_topics(api: Api) -> None:
    x = await register(api, "X", ["T1", "T2", "T3"], published_on="2020-01-01")
    y = await register(api, "Y shares three", ["T3", "T2", "T1"], published_on="2020-02-01")
    await register(api, "Z shares two", ["T1", "T2", "Other"], published_on="2020-03-01")
    await register(api, "W shares one", ["T3"], published_on="2020-04-01")
    await register(api, "Z2 shares two, newer", ["T2", "T3"], published_on="2020-05-01")
    await register(api, "V shares none", ["Unrelated"], published_on="2020-06-01")

    assert await related(api, x) == [
        "Y shares three",
        "Z2 shares two, newer",
        "Z shares two",
        "W shares one",
    ]
    assert await related(api, x, first=2) == ["Y shares three", "Z2 shares two, newer"]
    assert (await related(api, y))[0] == "X"
    assert await related(api, SAMPLE_ID) == []
