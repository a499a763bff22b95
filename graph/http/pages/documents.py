"""The documents the fast path knows, recognised by a hash of their text.

The hash is of the text with its runs of white space made one space: the reader's page,
GraphiQL and the README lay the same document out differently. This is only safe because
none of the known documents holds a string or a comment (where white space matters); a test
keeps it so. A document that differs in anything else (a field, an alias, a fragment, a
directive, a comma) is not known, and goes to the general executor.
"""

from __future__ import annotations

import hashlib

__all__ = ["ARTICLE_LIST", "ARTICLE_PAGE", "document_key"]

# The README's article page, as the reader's page (graph/web/reader/reader.js) sends it.
ARTICLE_PAGE = """
query ArticlePage($id: ID!) {
  article(id: $id) {
    id
    articleId
    version
    retracted
    retraction { reason retractedAt }
    citation { line title authors journal journalAbbreviation publishedOn volume issue pages doi pmid publicationNote }
    studyType
    abstract
    disciplineScores { discipline { name } score outOf relevance newsworthiness ratingCount meetsThreshold missingRatings }
    topics { name }
    raterComments { discipline { name } body postedAt }
    subscriberComments { id author body postedAt }
    relatedArticles(first: 5) { articleId citation { title } }
  }
  ratingScales { name question labels { value label } otherAnswer askedWhenRelevanceAbove }
}"""  # noqa: E501


# The reader's list page, as graph/web/reader/reader.js sends it.
ARTICLE_LIST = """
query ArticleList($first: Int!, $after: String, $search: String, $topic: String,
                  $discipline: String, $studyType: String, $minScore: Int,
                  $includeRetracted: Boolean) {
  articles(first: $first, after: $after, search: $search, topic: $topic,
           discipline: $discipline, studyType: $studyType, minScore: $minScore,
           includeRetracted: $includeRetracted) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      articleId retracted studyType
      citation { line title }
      topics { name }
      disciplineScores { discipline { name } score outOf missingRatings }
    } }
  }
  topics { name articleCount }
  disciplines { name }
  studyTypes
}"""


def document_key(query: str) -> str:
    """The hash a document is known by: SHA-256 of its text, white space made one space."""
    return hashlib.sha256(" ".join(query.split()).encode()).hexdigest()
