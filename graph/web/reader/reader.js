// The reader's page: an article at /articles/{id}, drawn from one GraphQL query, the list at /
// (list.js), and the routing between them. A bearer token, pasted in, is kept in this tab's
// session storage only and sent with the caller's own actions (forms.js, rating.js); reads are
// anonymous. The API's side is api.js.
"use strict";

// The README's article-page query: the whole article page is drawn from this one request.
const ARTICLE_PAGE = `
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
}`;

const ARTICLE_LIST = `
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
}`;

const ME = "query Me { me { role } }";
// A rater's own ratings, to offer revising or withdrawing the one they have on an article.
const MY_RATINGS = `query MyRatings {
  me { ratings {
    article { articleId } withdrawn relevance newsworthiness comment
    beyondExpertise newsworthinessAbsent
  } }
}`;

// -- building the page ----------------------------------------------------------------------

// An element with attributes and children; text is always set as text, never parsed as HTML.
function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

function formatDate(iso) {
  return new Date(iso).toLocaleDateString("en-GB", {
    year: "numeric",
    month: "short",
    day: "numeric",
  });
}

function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

function scoreText(score) {
  if (score.score === null) return `pending: ${plural(score.missingRatings, "more rating")}`;
  return `${score.score} / ${score.outOf}`;
}

function errorBox(error) {
  return h("div", { class: "error", role: "alert" }, h("p", {}, error.message));
}

function show(title, ...content) {
  const main = document.getElementById("main");
  document.title = `${title} · Evidence ledger`;
  main.replaceChildren(...content.filter((part) => part !== null && part !== undefined));
}

function role() {
  return sessionStorage.getItem(TOKEN_KEY) ? sessionStorage.getItem(ROLE_KEY) : null;
}

// -- the article page -----------------------------------------------------------------------

function section(id, title, ...content) {
  return h("section", { "aria-labelledby": id }, h("h2", { id }, title), ...content);
}

function scoresSection(article) {
  const scores = article.disciplineScores;
  return section(
    "scores-heading",
    "Discipline Area Score",
    scores.length
      ? h("ul", { class: "scores" }, scores.map((score) => h(
          "li",
          {},
          h("span", { class: "discipline" }, score.discipline.name),
          " ",
          h("span", { class: "score" }, scoreText(score)),
          " ",
          h("span", { class: "rating-count" }, `(${plural(score.ratingCount, "rating")})`)
        )))
      : h("p", {}, "No discipline has rated this article yet.")
  );
}

function topicsSection(article) {
  return section(
    "topics-heading",
    "Show me more articles about:",
    h("ul", { class: "topics" }, article.topics.map((topic) => h(
      "li",
      {},
      h("a", { href: `/?topic=${encodeURIComponent(topic.name)}` }, topic.name)
    )))
  );
}

function raterCommentsSection(article) {
  return section(
    "rater-comments-heading",
    "Comments from MORE raters",
    article.raterComments.length
      ? article.raterComments.map((comment) => h(
          "article",
          { class: "comment" },
          h("h3", {}, `${comment.discipline.name} rater`),
          h("p", {}, comment.body)
        ))
      : h("p", {}, "No rater has commented on this article yet.")
  );
}

function subscriberCommentsSection(article) {
  const comments = article.subscriberComments;
  const editor = role() === "editor";
  return section(
    "subscriber-comments-heading",
    "Comments from subscribers",
    comments.length
      ? comments.map((comment, index) => h(
          "article",
          { class: "comment" },
          h("h3", {}, comment.author),
          h("p", { class: "posted" }, `Posted ${formatDate(comment.postedAt)}`),
          h("p", {}, comment.body),
          editor ? hideForm(article, comment, index) : null
        ))
      : h("p", { class: "no-comments" }, "No subscriber has commented on this article yet."),
    commentForm(article)
  );
}

function relatedSection(article) {
  if (!article.relatedArticles.length) return null;
  return section(
    "related-heading",
    "Related articles",
    h("ul", {}, article.relatedArticles.map((related) => h(
      "li",
      {},
      h("a", { href: `/articles/${encodeURIComponent(related.articleId)}` }, related.citation.title)
    )))
  );
}

function retractionNotice(article) {
  if (!article.retracted) return null;
  const retraction = article.retraction;
  return h(
    "div",
    { class: "retracted", role: "note" },
    h("p", {}, h("strong", {}, "Retracted"),
      retraction ? ` on ${formatDate(retraction.retractedAt)}: ${retraction.reason}` : "")
  );
}

// The article's id from the page's path, or null when the path's percent-encoding is not
// valid UTF-8 (`/articles/%E0`): no article could have such an id.
function pathArticleId() {
  const raw = window.location.pathname.split("/")[2] || "";
  try {
    return decodeURIComponent(raw);
  } catch (error) {
    return null;
  }
}

function showNotFound(id) {
  const what = id ? `No article has the id “${id}”.` : "This address names no article.";
  show("Not found", h("h1", {}, "Article not found"), h("p", { class: "not-found" }, what),
    h("p", {}, h("a", { href: "/" }, "Browse the articles")));
}

// The signed-in rater's ratings, or null: without them the page offers a new rating, and
// the API's refusal says if there is one already.
async function myRatings() {
  if (role() !== "rater") return null;
  try {
    const data = await readAsCaller(MY_RATINGS, {});
    return data.me ? data.me.ratings : null;
  } catch (error) {
    return null;
  }
}

async function renderArticle(notice) {
  const id = pathArticleId();
  if (!id) {
    showNotFound(id);
    return;
  }
  let data;
  let mine;
  try {
    [data, mine] = await Promise.all([read(ARTICLE_PAGE, { id }), myRatings()]);
  } catch (error) {
    // An id the API cannot even read (`/articles/a%20b`) names no article either.
    if (error.code === "BAD_USER_INPUT") showNotFound(id);
    else show("Article", h("h1", {}, "Article"), errorBox(error));
    return;
  }
  const article = data.article;
  if (!article) {
    showNotFound(id);
    return;
  }
  show(
    article.citation.title,
    notice ? h("p", { class: "notice", role: "status" }, notice) : null,
    h(
      "article",
      { class: article.retracted ? "article is-retracted" : "article" },
      retractionNotice(article),
      h("h1", {}, article.citation.title),
      h("p", { class: "citation" }, `${article.citation.line} (${article.studyType})`),
      section("abstract-heading", "Abstract", h("p", { class: "abstract" }, article.abstract)),
      scoresSection(article),
      topicsSection(article),
      raterCommentsSection(article),
      subscriberCommentsSection(article),
      ratingSection(article, data.ratingScales, mine),
      relatedSection(article)
    )
  );
  // The form that was used is gone: move keyboard and screen-reader focus to what happened.
  const shown = document.querySelector(".notice");
  if (shown) {
    shown.setAttribute("tabindex", "-1");
    shown.focus();
  }
}

// -- the token ------------------------------------------------------------------------------

function showSignedIn(statusText) {
  document.getElementById("token-status").textContent = statusText;
}

async function useToken(token) {
  sessionStorage.removeItem(ROLE_KEY);
  try {
    const data = await graphql(ME, {}, token);
    if (!data.me) throw new ApiError("The token names nobody.");
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(ROLE_KEY, data.me.role);
    showSignedIn(`Signed in as ${data.me.role}.`);
  } catch (error) {
    sessionStorage.removeItem(TOKEN_KEY);
    showSignedIn(`Refused: ${error.message}`);
  }
  await route();
}

function setUpTokenForm() {
  const form = document.getElementById("token-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const token = form.elements.token.value.trim();
    form.elements.token.value = "";
    if (token) useToken(token);
  });
  document.getElementById("forget-token").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(ROLE_KEY);
    showSignedIn("Signed out.");
    route();
  });
  if (role()) showSignedIn(`Signed in as ${role()}.`);
}

function route() {
  if (window.location.pathname.startsWith("/articles/")) return renderArticle();
  return renderList();
}

setUpTokenForm();
route();
