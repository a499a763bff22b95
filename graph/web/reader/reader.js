// The reader's page: the article list at / and an article at /articles/{id}, each drawn from
// one GraphQL query. A bearer token, pasted in, is kept in this tab's session storage only and
// sent with the caller's own actions (comment, rate, hide a comment); reads are anonymous.
"use strict";

const TOKEN_KEY = "evidence-ledger.token";
const ROLE_KEY = "evidence-ledger.role";
const PAGE_SIZE = 10;

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
  ratingScales { name question labels { value label } }
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

const RESULT_FIELDS = "__typename ... on Error { code message }";
const POST_COMMENT = `mutation PostComment($input: PostCommentInput!) {
  postComment(input: $input) { ${RESULT_FIELDS} } }`;
const SUBMIT_RATING = `mutation SubmitRating($input: SubmitRatingInput!) {
  submitRating(input: $input) { ${RESULT_FIELDS} } }`;
const HIDE_COMMENT = `mutation HideComment($input: HideCommentInput!) {
  hideComment(input: $input) { ${RESULT_FIELDS} } }`;

class ApiError extends Error {
  constructor(message, code) {
    super(code ? `${message} (${code})` : message);
    this.code = code;
  }
}

// -- the API --------------------------------------------------------------------------------

const ACCEPT = "application/graphql-response+json, application/json";

async function send(url, init) {
  let response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    throw new ApiError(`The API could not be reached: ${error.message}`);
  }
  try {
    return await response.json();
  } catch (error) {
    throw new ApiError(`The API answered ${response.status} without a GraphQL response.`);
  }
}

function dataOf(body) {
  if (body.errors && body.errors.length) {
    const [first] = body.errors;
    throw new ApiError(first.message, first.extensions && first.extensions.code);
  }
  return body.data;
}

async function graphql(query, variables, token) {
  const headers = { "content-type": "application/json", accept: ACCEPT };
  if (token) headers.authorization = `Bearer ${token}`;
  const body = { query, variables };
  return dataOf(await send("/graphql", { method: "POST", headers, body: JSON.stringify(body) }));
}

// Apollo's hash of a document: the sha256 of its exact text, in hexadecimal.
async function documentHash(query) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(query));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

// An anonymous read, as an automatic persisted query over GET: a short URL whose answer the
// browser keeps and revalidates with its ETag (a 304 when nothing it shows has changed). The
// document's text is sent only when the server does not know its hash yet. Where the page
// is not a secure context (no crypto.subtle), a plain POST.
async function read(query, variables) {
  if (!(window.crypto && crypto.subtle)) return graphql(query, variables);
  const extensions = { persistedQuery: { version: 1, sha256Hash: await documentHash(query) } };
  const get = (params) => {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) {
      search.set(name, typeof value === "string" ? value : JSON.stringify(value));
    }
    // The header is what lets a GET through the API's CSRF prevention.
    const headers = { accept: ACCEPT, "graphql-require-preflight": "1" };
    return send(`/graphql?${search}`, { method: "GET", headers });
  };
  let body = await get({ variables, extensions });
  const [first] = body.errors || [];
  if (first && first.extensions && first.extensions.code === "PERSISTED_QUERY_NOT_FOUND") {
    body = await get({ query, variables, extensions });
  }
  return dataOf(body);
}

// A mutation's typed error (NotAllowed, ValidationError, ...) as the API words it.
async function mutate(query, field, input) {
  const data = await graphql(query, { input }, sessionStorage.getItem(TOKEN_KEY));
  const result = data[field];
  if (result.message !== undefined) throw new ApiError(result.message, result.code);
  return result;
}

function idempotencyKey() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

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

// -- the article list -----------------------------------------------------------------------

function listVariables(params) {
  const variables = { first: PAGE_SIZE };
  for (const name of ["after", "search", "topic", "discipline", "studyType"]) {
    const value = (params.get(name) || "").trim();
    if (value) variables[name] = value;
  }
  const minScore = parseInt(params.get("minScore") || "", 10);
  if (minScore >= 1 && minScore <= 7) variables.minScore = minScore;
  if (params.get("includeRetracted")) variables.includeRetracted = true;
  return variables;
}

function choice(name, label, options, selected) {
  const id = `filter-${name}`;
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    h(
      "select",
      { id, name },
      h("option", { value: "" }, "Any"),
      options.map(([value, text]) => h("option", { value, selected: value === selected }, text))
    )
  );
}

function filterForm(params, data) {
  const topics = data.topics.map((t) => [t.name, `${t.name} (${t.articleCount})`]);
  const disciplines = data.disciplines.map((d) => [d.name, d.name]);
  const studyTypes = data.studyTypes.map((s) => [s, s]);
  const scores = [7, 6, 5, 4, 3, 2, 1].map((n) => [String(n), `${n} / 7 or more`]);
  return h(
    "form",
    { class: "filters", method: "get", action: "/", role: "search" },
    h(
      "div",
      { class: "field wide" },
      h("label", { for: "filter-search" }, "Search"),
      h("input", { id: "filter-search", name: "search", type: "search",
        value: params.get("search") || "" })
    ),
    choice("topic", "Topic", topics, params.get("topic") || ""),
    choice("discipline", "Discipline", disciplines, params.get("discipline") || ""),
    choice("studyType", "Study type", studyTypes, params.get("studyType") || ""),
    choice("minScore", "Minimum score", scores, params.get("minScore") || ""),
    h(
      "div",
      { class: "field check" },
      h("input", { id: "filter-retracted", name: "includeRetracted", type: "checkbox",
        value: "1", checked: Boolean(params.get("includeRetracted")) }),
      h("label", { for: "filter-retracted" }, "Include retracted articles")
    ),
    h("div", { class: "buttons" }, h("button", { type: "submit" }, "Show articles"),
      h("a", { href: "/" }, "Clear filters"))
  );
}

function articleItem(article) {
  return h(
    "li",
    { class: "article-item" },
    h("h2", {}, h("a", { href: `/articles/${encodeURIComponent(article.articleId)}` },
      article.citation.title)),
    article.retracted ? h("p", { class: "retracted-tag" }, "Retracted") : null,
    h("p", { class: "citation" }, `${article.citation.line} (${article.studyType})`),
    article.disciplineScores.length
      ? h("p", { class: "list-scores" }, article.disciplineScores.map((score, index) => [
          index ? "; " : "",
          `${score.discipline.name} ${scoreText(score)}`,
        ]))
      : null,
    article.topics.length
      ? h("p", { class: "list-topics" }, "Topics: ", article.topics.map((t) => t.name).join(", "))
      : null
  );
}

function pager(params, pageInfo) {
  const links = [];
  if (params.get("after")) {
    const first = new URLSearchParams(params);
    first.delete("after");
    links.push(h("a", { href: `/?${first}` }, "First page"));
  }
  if (pageInfo.hasNextPage) {
    const next = new URLSearchParams(params);
    next.set("after", pageInfo.endCursor);
    links.push(h("a", { href: `/?${next}`, rel: "next" }, "Next page"));
  }
  return links.length ? h("nav", { class: "pager", "aria-label": "Pages" }, links) : null;
}

async function renderList() {
  const params = new URLSearchParams(window.location.search);
  let data;
  try {
    data = await read(ARTICLE_LIST, listVariables(params));
  } catch (error) {
    show("Articles", h("h1", {}, "Articles"), errorBox(error));
    return;
  }
  const connection = data.articles;
  const topic = params.get("topic");
  show(
    topic ? `Articles about ${topic}` : "Articles",
    h("h1", {}, topic ? `Articles about ${topic}` : "Articles"),
    filterForm(params, data),
    h("p", { class: "count", role: "status" }, plural(connection.totalCount, "article")),
    connection.edges.length
      ? h("ol", { class: "article-list" }, connection.edges.map((edge) => articleItem(edge.node)))
      : h("p", {}, "No article matches these filters."),
    pager(params, connection.pageInfo)
  );
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

function hideForm(article, comment, index) {
  const id = `hide-reason-${index}`;
  const status = h("p", { class: "form-status", role: "alert" });
  const form = h(
    "form",
    { class: "hide-form" },
    h("label", { for: id }, "Reason for hiding this comment"),
    h("input", { id, name: "reason", required: true }),
    h("button", { type: "submit" }, "Hide comment"),
    status
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(status, "Comment hidden.", () => mutate(HIDE_COMMENT, "hideComment", {
      articleId: article.articleId,
      commentId: comment.id,
      reason: form.elements.reason.value,
      idempotencyKey: idempotencyKey(),
    }));
  });
  return form;
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

function commentForm(article) {
  if (role() !== "subscriber") {
    return h("p", { class: "hint" }, "Subscribers comment here once signed in with their token.");
  }
  const status = h("p", { class: "form-status", role: "alert" });
  const form = h(
    "form",
    { class: "comment-form" },
    h("label", { for: "comment-body" }, "Your comment"),
    h("textarea", { id: "comment-body", name: "body", rows: "4", required: true }),
    h("button", { type: "submit" }, "Post comment"),
    status
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(status, "Comment posted.", () => mutate(POST_COMMENT, "postComment", {
      articleId: article.articleId,
      body: form.elements.body.value,
      idempotencyKey: idempotencyKey(),
    }));
  });
  return form;
}

function scaleFieldset(scale) {
  return h(
    "fieldset",
    { class: "scale" },
    h("legend", {}, scale.question),
    scale.labels.map((label) => {
      const id = `${scale.name}-${label.value}`;
      return h(
        "div",
        { class: "choice" },
        h("input", { type: "radio", id, name: scale.name, value: String(label.value),
          required: true }),
        h("label", { for: id }, `${label.value} – ${label.label}`)
      );
    })
  );
}

function ratingSection(article, scales) {
  if (role() !== "rater") return null;
  const status = h("p", { class: "form-status", role: "alert" });
  const form = h(
    "form",
    { class: "rating-form" },
    scales.map(scaleFieldset),
    h("label", { for: "rating-comment" }, "Comment (optional, shown as your discipline's)"),
    h("textarea", { id: "rating-comment", name: "comment", rows: "3", maxlength: "1000" }),
    h("button", { type: "submit" }, "Submit rating"),
    status
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const comment = form.elements.comment.value.trim();
    act(status, "Rating recorded.", () => mutate(SUBMIT_RATING, "submitRating", {
      articleId: article.articleId,
      relevance: Number(form.elements.relevance.value),
      newsworthiness: Number(form.elements.newsworthiness.value),
      comment: comment || null,
      idempotencyKey: idempotencyKey(),
    }));
  });
  return section("rating-heading", "Rate this article", form);
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

// Runs an action, then draws the article again from its one query, saying what happened.
async function act(status, done, action) {
  status.textContent = "Sending…";
  try {
    await action();
  } catch (error) {
    status.textContent = error.message;
    status.classList.add("error");
    return;
  }
  await renderArticle(done);
}

async function renderArticle(notice) {
  const id = decodeURIComponent(window.location.pathname.split("/")[2] || "");
  let data;
  try {
    data = await read(ARTICLE_PAGE, { id });
  } catch (error) {
    show("Article", h("h1", {}, "Article"), errorBox(error));
    return;
  }
  const article = data.article;
  if (!article) {
    show("Not found", h("h1", {}, "Article not found"), h("p", {}, `No article has the id ${id}.`));
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
      ratingSection(article, data.ratingScales),
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
