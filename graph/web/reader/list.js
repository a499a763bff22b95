// The reader's article list at `/`: search and filters, paged, drawn from one query
// (ARTICLE_LIST, in reader.js beside the article page's).
"use strict";

const PAGE_SIZE = 10;

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

// A discipline's feeds (/feeds/physician.atom): its name in lower case, words joined by
// dashes, as the feeds' own addresses spell it; the server reads any spelling of a name.
function feedAddress(discipline, suffix) {
  const lower = discipline.toLowerCase();
  const slug = /^[\x20-\x7e]*$/.test(lower)
    ? lower.replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "")
    : lower;
  return `/feeds/${encodeURIComponent(slug)}.${suffix}`;
}

const FEED_KINDS = [
  ["atom", "application/atom+xml", "Atom feed"],
  ["json", "application/feed+json", "JSON Feed"],
];

// A list filtered by discipline offers that discipline's feeds: to feed readers, as the
// page's alternate versions, and to people, as links.
function feedLinks(discipline) {
  for (const link of document.head.querySelectorAll('link[rel="alternate"]')) link.remove();
  if (!discipline) return null;
  const title = `Articles newly scored by ${discipline} raters`;
  for (const [suffix, type, name] of FEED_KINDS) {
    const href = feedAddress(discipline, suffix);
    document.head.append(h("link", { rel: "alternate", type, href, title: `${title} (${name})` }));
  }
  return h(
    "p",
    { class: "feeds" },
    `${title}, as they reach their score: `,
    FEED_KINDS.map(([suffix, type, name], index) => [
      index ? " · " : "",
      h("a", { href: feedAddress(discipline, suffix), type }, name),
    ])
  );
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
    feedLinks((params.get("discipline") || "").trim()),
    h("p", { class: "count", role: "status" }, plural(connection.totalCount, "article")),
    connection.edges.length
      ? h("ol", { class: "article-list" }, connection.edges.map((edge) => articleItem(edge.node)))
      : h("p", {}, "No article matches these filters."),
    pager(params, connection.pageInfo)
  );
}

