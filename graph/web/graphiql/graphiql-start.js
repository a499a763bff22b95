// Starts GraphiQL against this server's /graphql, with the article page's query ready to run.
// A bearer token goes in the Headers tab: {"Authorization": "Bearer <token>"}.
"use strict";
(function () {
  var ARTICLE_PAGE = [
    "query ArticlePage($id: ID!) {",
    "  article(id: $id) {",
    "    id",
    "    articleId",
    "    version",
    "    retracted",
    "    retraction { reason retractedAt }",
    "    citation { line title authors journal journalAbbreviation publishedOn volume issue pages doi pmid publicationNote }",
    "    studyType",
    "    abstract",
    "    disciplineScores { discipline { name } score outOf relevance newsworthiness ratingCount meetsThreshold missingRatings }",
    "    topics { name }",
    "    raterComments { discipline { name } body postedAt }",
    "    subscriberComments { id author body postedAt }",
    "    relatedArticles(first: 5) { articleId citation { title } }",
    "  }",
    "  ratingScales { name question labels { value label } otherAnswer askedWhenRelevanceAbove }",
    "}",
    "",
  ].join("\n");
  var fetcher = GraphiQL.createFetcher({ url: new URL("/graphql", window.location.href).href });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: ARTICLE_PAGE,
      // The editor's first contents (set once: this page never changes them).
      variables: JSON.stringify({ id: "e7d05feceeac5a68" }, null, 2),
      defaultHeaders: "{}",
      defaultEditorToolsVisibility: "variables",
      isHeadersEditorEnabled: true,
      // A bearer token typed into the headers editor is not kept in local storage.
      shouldPersistHeaders: false,
    })
  );
})();
