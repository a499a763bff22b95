"""Rating requests over HTTP, on every backend: an editor assigns disciplines, the raters
asked find the article in their queue, an unasked rater is refused, profiles, pauses and
the article's author raters change who is asked; each refusal is a typed error that changes
nothing."""

from __future__ import annotations

from typing import Any

from graph.http.pages.documents import ARTICLE_LIST, ARTICLE_PAGE
from graph.settings import Settings
from ledger.replay.rebuild import rebuild
from tests.graph.conftest import Api, running
from tests.graph.helpers import counting_statements, ledger_position
from tests.graph.pages.helpers import both_ways
from tests.graph.test_feeds import feed_articles
from tests.graph.test_ratings_over_http import SUBMIT, enrolled_rater, new_article

ASSIGN = """
mutation($input: AssignDisciplinesInput!) {
  assignDisciplines(input: $input) {
    __typename
    ... on ArticlePayload { replayed article { id disciplineScores { discipline { name } } } }
    ... on Error { code message }
    ... on ValidationError { field }
    ... on NotFound { kind identifier }
  }
}
"""
PROFILE = """
mutation($input: RaterProfileInput!) {
  %s(input: $input) {
    __typename
    ... on RaterProfilePayload { profile { raterId populations monthlyLimit paused } }
    ... on Error { code message }
    ... on ValidationError { field }
  }
}
"""
EXPIRE = """
mutation($input: ExpireRatingRequestsInput!) {
  expireRatingRequests(input: $input) {
    __typename
    ... on ExpireRatingRequestsPayload { articles { articleId } }
    ... on Error { code }
  }
}
"""
QUEUE = """
{ me { ratingRequests { discipline { name } status due requestedAt article { id } } } }
"""
REQUESTS = """
query($id: ID!) {
  article(id: $id) {
    ratingRequests {
      __typename
      ... on ArticleRatingRequests { requests { raterId discipline { name } status due } }
      ... on NotAllowed { code }
    }
  }
}
"""


async def send(api: Api, document: str, token: str, **fields: Any) -> dict[str, Any]:
    """Over HTTP: the one mutation's result."""
    data = await api.http_data(document, {"input": fields}, token)
    [result] = data.values()
    assert isinstance(result, dict)
    return result


async def unchanged(api: Api, document: str, token: str, **fields: Any) -> dict[str, Any]:
    """The refusal of a mutation, which must leave the ledger where it was."""
    head = await ledger_position(api)
    result = await send(api, document, token, **fields)
    assert result["__typename"] != "ArticlePayload", result
    assert result["__typename"] != "RaterProfilePayload", result
    assert await ledger_position(api) == head
    return result


async def test_assigned_raters_find_the_article_in_their_queue_and_others_are_refused(
    api: Api,
) -> None:
    editor = await api.token("editor")
    article = await new_article(api, editor, "Requests for nurses")
    nurses = [await enrolled_rater(api, editor, f"req-n{i}") for i in range(6)]

    assigned = await send(api, ASSIGN, editor, articleId=article, disciplines=["nurse"])
    assert assigned["__typename"] == "ArticlePayload", assigned
    again = await send(api, ASSIGN, editor, articleId=article, disciplines=["nurse"])
    assert again["code"] == "VALIDATION_FAILED"

    # The first four nurses by id (the sample's raters are physicians) are asked.
    queues = [(await api.http_data(QUEUE, token=t))["me"]["ratingRequests"] for t in nurses]
    assert [len(q) for q in queues] == [1, 1, 1, 1, 0, 0]
    [first] = queues[0]
    assert first["article"]["id"] == article
    assert first["status"] == "OPEN"
    assert first["discipline"] == {"name": "Nurse"}

    refused = await unchanged(api, SUBMIT, nurses[5], articleId=article, relevance=5,
                              newsworthiness=5)  # fmt: skip
    assert (refused["__typename"], refused["code"]) == ("Conflict", "NOT_REQUESTED")
    # A rater of a discipline the article is not rated in: refused too, asked or not.
    physician = await enrolled_rater(api, editor, "req-p0", "Physician")
    other = await unchanged(api, SUBMIT, physician, articleId=article, relevance=5,
                            newsworthiness=5)  # fmt: skip
    assert (other["__typename"], other["code"]) == ("Conflict", "DISCIPLINE_NOT_ASSIGNED")
    assert "not rated in the discipline 'Physician'" in other["message"]

    rated = await send(api, SUBMIT, nurses[0], articleId=article, relevance=6, newsworthiness=5)
    assert rated["__typename"] == "ArticlePayload", rated
    assert (await api.http_data(QUEUE, token=nurses[0]))["me"]["ratingRequests"] == []

    shown = (await api.http_data(REQUESTS, {"id": article}, editor))["article"]["ratingRequests"]
    statuses = {r["raterId"]: r["status"] for r in shown["requests"]}
    # One rating of the three needed: the answer asked the next nurse in the same change.
    assert statuses == {
        "req-n0": "ANSWERED", "req-n1": "OPEN", "req-n2": "OPEN", "req-n3": "OPEN",
        "req-n4": "OPEN",
    }  # fmt: skip
    hidden = (await api.http_data(REQUESTS, {"id": article}, nurses[1]))["article"]
    assert hidden["ratingRequests"] == {"__typename": "NotAllowed", "code": "NOT_ALLOWED"}

    # Nothing is overdue yet: nothing expires.
    expired = await send(api, EXPIRE, editor, idempotencyKey="expire-now")
    assert expired == {"__typename": "ExpireRatingRequestsPayload", "articles": []}


async def test_assignment_refusals_are_typed_and_change_nothing(api: Api) -> None:
    editor = await api.token("editor")
    article = await new_article(api, editor, "Refused assignments")
    nurse = await enrolled_rater(api, editor, "req-refused")

    unknown = await unchanged(api, ASSIGN, editor, articleId=article, disciplines=["Wizard"])
    assert (unknown["__typename"], unknown["kind"]) == ("NotFound", "discipline")
    empty = await unchanged(api, ASSIGN, editor, articleId=article, disciplines=[])
    assert (empty["__typename"], empty["field"]) == ("ValidationError", "disciplines")
    missing = await unchanged(api, ASSIGN, editor, articleId="nope", disciplines=["Nurse"])
    assert (missing["__typename"], missing["kind"]) == ("NotFound", "article")
    by_rater = await unchanged(api, ASSIGN, nurse, articleId=article, disciplines=["Nurse"])
    assert by_rater["__typename"] == "NotAllowed"
    expire = await unchanged(api, EXPIRE, nurse)
    assert expire["__typename"] == "NotAllowed"


REGISTER_ASSIGNED = """
mutation($input: RegisterArticleInput!) {
  registerArticle(input: $input) {
    __typename
    ... on ArticlePayload { article { id } }
    ... on Error { code }
    ... on NotFound { kind identifier }
  }
}
"""


async def test_the_article_s_author_raters_are_never_asked(api: Api) -> None:
    """An editor names a nurse among the article's authors: the next nurses are asked, not
    them; an unknown rater is refused and changes nothing; a rebuild shows the same
    requests; an author may not rate it; an assignment that leaves them out keeps them;
    registering with disciplines names author raters the same way."""
    editor = await api.token("editor")
    article = await new_article(api, editor, "Written by one of our nurses")
    nurses = [await enrolled_rater(api, editor, f"auth-n{i}") for i in range(6)]
    await enrolled_rater(api, editor, "auth-p0", "Physician")

    def assign(*authors: str) -> dict[str, Any]:
        return {"articleId": article, "disciplines": ["Nurse"], "authorRaters": list(authors)}

    unknown = await unchanged(api, ASSIGN, editor, **assign("auth-n0", "auth-nobody"))
    assert (unknown["__typename"], unknown["kind"], unknown["identifier"]) == (
        "NotFound", "rater", "auth-nobody",
    )  # fmt: skip
    twice = await unchanged(api, ASSIGN, editor, **assign("auth-n0", "auth-n0"))
    assert (twice["__typename"], twice["field"]) == ("ValidationError", "authorRaters")
    many = await unchanged(api, ASSIGN, editor, **assign(*(f"auth-n{i}" for i in range(21))))
    assert (many["__typename"], many["field"]) == ("ValidationError", "authorRaters")

    # An author rater of another discipline is enrolled too: named, never refused.
    assigned = await send(api, ASSIGN, editor, **assign("auth-n0", "auth-p0"))
    assert assigned["__typename"] == "ArticlePayload", assigned
    queues = [(await api.http_data(QUEUE, token=t))["me"]["ratingRequests"] for t in nurses]
    assert [len(q) for q in queues] == [0, 1, 1, 1, 1, 0]

    async def asked() -> list[str]:
        found = await api.http_data(REQUESTS, {"id": article}, editor)
        return sorted(r["raterId"] for r in found["article"]["ratingRequests"]["requests"])

    assert await asked() == ["auth-n1", "auth-n2", "auth-n3", "auth-n4"]
    await rebuild(api.services.store)
    assert await asked() == ["auth-n1", "auth-n2", "auth-n3", "auth-n4"]

    # An author does not rate the article, asked or not.
    refused = await unchanged(api, SUBMIT, nurses[0], articleId=article, relevance=5,
                              newsworthiness=5)  # fmt: skip
    assert (refused["__typename"], refused["code"]) == ("Conflict", "RATER_IS_AUTHOR")
    # An assignment that leaves them out keeps them; [] clears them.
    kept = await send(api, ASSIGN, editor, articleId=article, disciplines=["Nurse"],
                      populations=["Adults"])  # fmt: skip
    assert kept["__typename"] == "ArticlePayload", kept
    assert "auth-n0" not in await asked()
    again = await unchanged(api, SUBMIT, nurses[0], articleId=article, relevance=5,
                            newsworthiness=5)  # fmt: skip
    assert again["code"] == "RATER_IS_AUTHOR"
    cleared = await send(api, ASSIGN, editor, articleId=article, disciplines=["Nurse"],
                         populations=["Adults"], authorRaters=[])  # fmt: skip
    assert cleared["__typename"] == "ArticlePayload", cleared
    # No longer an author: refused now only as a nurse nobody asked (four are asked already).
    unasked = await unchanged(api, SUBMIT, nurses[0], articleId=article, relevance=5,
                              newsworthiness=5)  # fmt: skip
    assert unasked["code"] == "NOT_REQUESTED"

    registered = await send(
        api, REGISTER_ASSIGNED, editor, title="Registered with its author raters",
        journal="Journal of Nursing", studyType="Cohort", abstract="Falls fell.",
        topics=["Falls"], disciplines=["Nurse"], authorRaters=["auth-n0", "auth-n5"],
    )  # fmt: skip
    assert registered["__typename"] == "ArticlePayload", registered
    found = await api.http_data(REQUESTS, {"id": registered["article"]["id"]}, editor)
    # The fewest requests this month first (n1-n4 were asked once), but never n0 or n5.
    raters = sorted(r["raterId"] for r in found["article"]["ratingRequests"]["requests"])
    assert raters == ["auth-n1", "auth-n2", "auth-n3", "auth-n4"]


async def test_a_rater_sets_their_profile_and_pauses_and_an_editor_may_too(api: Api) -> None:
    editor = await api.token("editor")
    nurse = await enrolled_rater(api, editor, "req-profile")
    other = await enrolled_rater(api, editor, "req-other")

    taken = await send(api, PROFILE % "setRaterProfile", nurse, populations=["Children"],
                       monthlyLimit=10)  # fmt: skip
    assert taken["profile"] == {
        "raterId": "req-profile", "populations": ["Children"], "monthlyLimit": 10,
        "paused": False,
    }  # fmt: skip
    for limit in (0, 100):
        wrong = await unchanged(api, PROFILE % "setRaterProfile", nurse, monthlyLimit=limit)
        assert (wrong["__typename"], wrong["field"]) == ("ValidationError", "monthlyLimit")
    not_theirs = await unchanged(
        api, PROFILE % "setRaterProfile", other, raterId="req-profile", monthlyLimit=5
    )
    assert not_theirs["__typename"] == "NotAllowed"
    unnamed = await unchanged(api, PROFILE % "setRaterProfile", editor, monthlyLimit=5)
    assert (unnamed["__typename"], unnamed["field"]) == ("ValidationError", "raterId")
    subscriber = await api.token("subscriber")
    assert (await unchanged(api, PROFILE % "pauseRatingRequests", subscriber))[
        "__typename"
    ] == "NotAllowed"

    paused = await send(api, PROFILE % "pauseRatingRequests", editor, raterId="req-profile")
    assert paused["profile"]["paused"] is True
    twice = await unchanged(api, PROFILE % "pauseRatingRequests", nurse)
    assert (twice["__typename"], twice["code"]) == ("Conflict", "WRONG_PAUSE_STATE")
    resumed = await send(api, PROFILE % "resumeRatingRequests", nurse, idempotencyKey="r1")
    assert resumed["profile"] == {
        "raterId": "req-profile", "populations": ["Children"], "monthlyLimit": 10,
        "paused": False,
    }  # fmt: skip
    retried = await send(api, PROFILE % "resumeRatingRequests", nurse, idempotencyKey="r1")
    assert retried["__typename"] == "RaterProfilePayload"


async def test_the_sample_article_is_rated_by_request_and_still_reads_6_of_7(api: Api) -> None:
    editor = await api.token("editor")
    sample = "e7d05feceeac5a68"
    found = (await api.http_data(REQUESTS, {"id": sample}, editor))["article"]["ratingRequests"]
    statuses = {r["raterId"]: r["status"] for r in found["requests"]}
    assert statuses == {
        "sample-physician-1": "ANSWERED", "sample-physician-2": "ANSWERED",
        "sample-physician-3": "ANSWERED", "sample-physician-4": "OPEN",
    }  # fmt: skip
    scores = await api.http_data(
        "query($id: ID!) { article(id: $id) { disciplineScores { discipline { name } score } } }",
        {"id": sample},
    )
    assert scores["article"]["disciplineScores"] == [
        {"discipline": {"name": "Physician"}, "score": 6}
    ]


async def test_a_deployment_may_allow_rating_without_a_request(database_url: str) -> None:
    async with running(Settings(database_url=database_url, rating_without_request=True)) as api:
        editor = await api.token("editor")
        article = await new_article(api, editor, "Open to every nurse")
        nurses = [await enrolled_rater(api, editor, f"open-n{i}") for i in range(5)]
        await send(api, ASSIGN, editor, articleId=article, disciplines=["Nurse"])
        unasked = nurses[4]
        assert (await api.http_data(QUEUE, token=unasked))["me"]["ratingRequests"] == []
        rated = await send(api, SUBMIT, unasked, articleId=article, relevance=5, newsworthiness=5)
        assert rated["__typename"] == "ArticlePayload", rated


async def test_scores_show_in_the_assigned_disciplines_only_on_every_reader(api: Api) -> None:
    """Rated by nurses and physicians before an editor assigns it Physician only: from
    then on no reader shows the nurses' score or their comments (the API's loaders, both
    one-statement pages, the list's discipline and minimum-score filters, the feeds),
    though the ratings stay in the log and a view of the article before the assignment
    still shows them."""
    editor = await api.token("editor")
    article = await new_article(api, editor, "Rated before its disciplines were assigned")
    key = (await api.data("query($id: ID!) { article(id: $id) { articleId } }", {"id": article}))[
        "article"
    ]["articleId"]
    answers = [(n, d, r) for n in range(3) for d, r in (("Nurse", 7), ("Physician", 4))]
    for number, discipline, relevance in answers:
        rater = await enrolled_rater(api, editor, f"both-{discipline}-{number}", discipline)
        rated = await send(api, SUBMIT, rater, articleId=article, relevance=relevance,
                           newsworthiness=5, comment=f"{discipline} {number}.")  # fmt: skip
        assert rated["__typename"] == "ArticlePayload", rated

    async def shown() -> dict[str, Any]:
        """What each reader shows: the disciplines scored, or whether the article is listed."""
        page_fast, page_general = await both_ways(api, ARTICLE_PAGE, {"id": article})
        assert page_fast == page_general
        list_fast, list_general = await both_ways(api, ARTICLE_LIST, {"first": 1})
        assert list_fast == list_general
        [listed] = list_fast.body["data"]["articles"]["edges"]
        assert listed["node"]["articleId"] == key

        async def listed_under(**filters: Any) -> bool:
            found = await api.data(
                "query($discipline: String, $minScore: Int) { articles(first: 50, "
                "discipline: $discipline, minScore: $minScore) { edges { node { articleId } } } }",
                filters,
            )
            return key in [e["node"]["articleId"] for e in found["articles"]["edges"]]

        def named(scores: list[dict[str, Any]]) -> list[tuple[str, int | None]]:
            return [(s["discipline"]["name"], s["score"]) for s in scores]

        return {
            "page": named(page_fast.body["data"]["article"]["disciplineScores"]),
            "comments": sorted(
                {
                    c["discipline"]["name"]
                    for c in page_fast.body["data"]["article"]["raterComments"]
                }
            ),
            "list": named(listed["node"]["disciplineScores"]),
            "nurse list": await listed_under(discipline="Nurse"),
            "min 6": await listed_under(minScore=6),
            "physician list": await listed_under(discipline="Physician"),
            "nurse feed": key in await feed_articles(api, "nurse"),
            "physician feed": key in await feed_articles(api, "physician"),
        }

    assert await shown() == {
        "page": [("Nurse", 7), ("Physician", 4)], "list": [("Nurse", 7), ("Physician", 4)],
        "comments": ["Nurse", "Physician"],
        "nurse list": True, "min 6": True, "physician list": True,
        "nurse feed": True, "physician feed": True,
    }  # fmt: skip

    assigned = await send(api, ASSIGN, editor, articleId=article, disciplines=["Physician"])
    assert assigned["article"]["disciplineScores"] == [{"discipline": {"name": "Physician"}}]
    assert await shown() == {
        "page": [("Physician", 4)], "list": [("Physician", 4)], "comments": ["Physician"],
        "nurse list": False, "min 6": False, "physician list": True,
        "nurse feed": False, "physician feed": True,
    }  # fmt: skip

    # A view of the article at its last rating, before the assignment, shows what it did.
    past = await api.http_data(
        "query($id: ID!, $at: Int) { article(id: $id, atVersion: $at) { disciplineScores "
        "{ discipline { name } } raterComments { discipline { name } } } }",
        {"id": article, "at": 7},
    )
    assert [s["discipline"]["name"] for s in past["article"]["disciplineScores"]] == [
        "Nurse",
        "Physician",
    ]
    assert {c["discipline"]["name"] for c in past["article"]["raterComments"]} == {
        "Nurse",
        "Physician",
    }
    now = await api.data(
        "query($id: ID!) { article(id: $id) { raterComments { discipline { name } } } }",
        {"id": article},
    )
    assert {c["discipline"]["name"] for c in now["article"]["raterComments"]} == {"Physician"}


async def test_an_assignment_that_drops_a_discipline_cancels_its_open_requests(api: Api) -> None:
    editor = await api.token("editor")
    article = await new_article(api, editor, "Nurses first, then physicians only")
    nurse = await enrolled_rater(api, editor, "drop-n0")
    await enrolled_rater(api, editor, "drop-p0", "Physician")
    await send(api, ASSIGN, editor, articleId=article, disciplines=["Nurse", "Physician"])
    assert len((await api.http_data(QUEUE, token=nurse))["me"]["ratingRequests"]) == 1

    await send(api, ASSIGN, editor, articleId=article, disciplines=["Physician"])

    assert (await api.http_data(QUEUE, token=nurse))["me"]["ratingRequests"] == []
    shown = (await api.http_data(REQUESTS, {"id": article}, editor))["article"]["ratingRequests"]
    statuses = {r["raterId"]: r["status"] for r in shown["requests"]}
    assert (statuses["drop-n0"], statuses["drop-p0"]) == ("CANCELLED", "OPEN")
    refused = await unchanged(api, SUBMIT, nurse, articleId=article, relevance=5,
                              newsworthiness=5)  # fmt: skip
    assert refused["code"] == "DISCIPLINE_NOT_ASSIGNED"
    # Nurse again: the nurse is asked again, the cancelled request not counting.
    await send(api, ASSIGN, editor, articleId=article, disciplines=["Physician", "Nurse"])
    [asked] = (await api.http_data(QUEUE, token=nurse))["me"]["ratingRequests"]
    assert asked["status"] == "OPEN"


async def test_a_rating_reads_the_rater_pool_only_when_someone_is_to_be_asked(api: Api) -> None:
    """The top-up after an answer reads the pool (every rater of the discipline, with the
    month's requests) only while the discipline is short of ratings and of raters asked."""
    editor = await api.token("editor")
    article = await new_article(api, editor, "Topped up while short")
    nurses = [await enrolled_rater(api, editor, f"pool-n{i}") for i in range(6)]
    await send(api, ASSIGN, editor, articleId=article, disciplines=["Nurse"])
    last_physician = await api.token("rater", "sample-physician-4")

    async def pool_reads(token: str, article_id: str) -> int:
        with counting_statements(api) as statements:
            rated = await send(api, SUBMIT, token, articleId=article_id, relevance=5,
                               newsworthiness=5)  # fmt: skip
        assert rated["__typename"] == "ArticlePayload", rated
        return sum("rater_profiles" in statement for statement in statements)

    # The sample's Physician already has its three ratings: nobody more to ask.
    assert await pool_reads(last_physician, "e7d05feceeac5a68") == 0
    # One nurse of three answers: the next nurse is asked, from the pool.
    assert await pool_reads(nurses[0], article) == 1
