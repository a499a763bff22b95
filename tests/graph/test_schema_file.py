"""The committed schema.graphql is the schema the code serves (regenerate it with
`evidence-ledger export-schema`)."""

from __future__ import annotations

from pathlib import Path

from graph.http.schema import build_schema

SCHEMA_FILE = Path(__file__).parent.parent.parent / "schema.graphql"


def test_the_committed_schema_file_matches_the_code() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == build_schema().as_str() + "\n", (
        "schema.graphql is stale: run `evidence-ledger export-schema`"
    )


def test_the_contract_names_are_in_the_schema() -> None:
    sdl = build_schema().as_str()
    for name in (
        "article(id: ID!, asOf: DateTime",
        "articles(",
        "topics: [Topic!]!",
        "disciplines: [Discipline!]!",
        "node(",
        "me: Me",
        "registerArticle(input: RegisterArticleInput!)",
        "correctArticle(input: CorrectArticleInput!)",
        "retractArticle(input: RetractArticleInput!)",
        "enrollRater(input: EnrollRaterInput!)",
        "submitRating(input: SubmitRatingInput!)",
        "reviseRating(input: ReviseRatingInput!)",
        "withdrawRating(input: WithdrawRatingInput!)",
        "postComment(input: PostCommentInput!)",
        "hideComment(input: HideCommentInput!)",
        "restoreComment(input: RestoreCommentInput!)",
    ):
        assert name in sdl, name
