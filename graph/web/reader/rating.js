// A rater's rating form on an article's page, as the reference service asks it: relevance on
// seven labelled points or "beyond my personal area of expertise"; newsworthiness only when
// relevance is above 2, on seven points or "I don't know"; a comment of at most 1,000
// characters. The questions, labels, other answers and the rule for asking newsworthiness are
// the API's (`ratingScales`), so the page words nothing of the form itself.
"use strict";

const SUBMIT_RATING = `mutation SubmitRating($input: SubmitRatingInput!) {
  submitRating(input: $input) { ${RESULT_FIELDS} } }`;
const REVISE_RATING = `mutation ReviseRating($input: ReviseRatingInput!) {
  reviseRating(input: $input) { ${RESULT_FIELDS} } }`;
const WITHDRAW_RATING = `mutation WithdrawRating($input: WithdrawRatingInput!) {
  withdrawRating(input: $input) { ${RESULT_FIELDS} } }`;

// The radio value of a scale's answer beside its seven points, and the input field that
// answer sets (the API's names: relevance and newsworthiness each have their own).
const OTHER = "other";
const OTHER_ANSWER_INPUT = { relevance: "beyondExpertise", newsworthiness: "newsworthinessUnknown" };

// What the rater's active rating answered on a scale: a point, OTHER, or null (not asked).
function answered(scale, current) {
  if (!current) return null;
  if (scale.name === "relevance" && current.beyondExpertise) return OTHER;
  if (scale.name === "newsworthiness" && current.newsworthinessAbsent === "DONT_KNOW") return OTHER;
  return current[scale.name];
}

function scaleFieldset(scale, current) {
  const chosen = answered(scale, current);
  const choice = (value, text) => {
    const id = `${scale.name}-${value}`;
    return h(
      "div",
      { class: "choice" },
      h("input", { type: "radio", id, name: scale.name, value: String(value),
        required: true, checked: chosen === value }),
      h("label", { for: id }, text)
    );
  };
  return h(
    "fieldset",
    { class: "scale", id: `${scale.name}-scale` },
    h("legend", {}, scale.question),
    scale.labels.map((label) => choice(label.value, `${label.value} – ${label.label}`)),
    h("div", { class: "other-answer" }, choice(OTHER, scale.otherAnswer))
  );
}

// Whether a scale is asked at the relevance chosen so far ("" when none is): newsworthiness
// is not asked below its threshold nor beside "beyond my expertise". A scale not asked is
// hidden and disabled, so it is neither required, nor focusable, nor sent.
function isAsked(scale, relevance) {
  if (scale.askedWhenRelevanceAbove === null) return true;
  return relevance !== "" && relevance !== OTHER && Number(relevance) > scale.askedWhenRelevanceAbove;
}

function showAskedScales(form, fieldsets) {
  const relevance = form.elements.relevance.value;
  for (const [scale, fieldset] of fieldsets) {
    const asked = isAsked(scale, relevance);
    fieldset.hidden = !asked;
    fieldset.disabled = !asked;
  }
}

// The mutation's input from the scales that are asked: a point, or the other answer's flag.
function ratingInput(form, fieldsets, article) {
  const comment = form.elements.comment.value.trim();
  const input = {
    articleId: article.articleId,
    relevance: null,
    newsworthiness: null,
    comment: comment || null,
    beyondExpertise: false,
    newsworthinessUnknown: false,
  };
  for (const [scale, fieldset] of fieldsets) {
    if (fieldset.disabled) continue;
    const value = form.elements[scale.name].value;
    if (value === OTHER) input[OTHER_ANSWER_INPUT[scale.name]] = true;
    else input[scale.name] = Number(value);
  }
  return input;
}

// The comment with a count of its characters against the API's limit, as the browser counts
// them for `maxlength` (the counter is read with the field, not announced at each key).
function commentField(current) {
  const limit = LIMITS.ratingComment;
  const counter = h("p", { id: "rating-comment-count", class: "hint counter" });
  const field = h("textarea", { id: "rating-comment", name: "comment", rows: "3",
    maxlength: String(limit), "aria-describedby": "rating-comment-count" },
    current ? current.comment || "" : "");
  const count = () => {
    counter.textContent =
      `${field.value.length.toLocaleString("en")} of ${limit.toLocaleString("en")} characters`;
  };
  field.addEventListener("input", count);
  count();
  return [
    h("label", { for: "rating-comment" }, "Comment (optional, shown as your discipline's)"),
    field,
    counter,
  ];
}

// The rater's active rating on this article (from `me.ratings`), or null.
function activeRating(article, mine) {
  const found = (mine || []).find(
    (rating) => rating.article && rating.article.articleId === article.articleId
  );
  return found && !found.withdrawn ? found : null;
}

// What the rater answered, in the form's words where they did not give a point.
function answersText(current, scales) {
  const [relevance, newsworthiness] = ["relevance", "newsworthiness"].map(
    (name) => scales.find((scale) => scale.name === name)
  );
  if (current.beyondExpertise) return `You answered “${relevance.otherAnswer}”`;
  const rated = `You rated relevance ${current.relevance}`;
  if (current.newsworthinessAbsent === "DONT_KNOW") {
    return `${rated} and newsworthiness “${newsworthiness.otherAnswer}”`;
  }
  if (current.newsworthinessAbsent === "NOT_ASKED") {
    return `${rated} (newsworthiness is not asked at that relevance)`;
  }
  return `${rated} and newsworthiness ${current.newsworthiness}`;
}

function withdrawForm(article) {
  const status = formStatus();
  const button = h("button", { type: "submit" }, "Withdraw rating");
  const form = h("form", { class: "withdraw-form" }, button, status);
  const action = new Action(button);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    act(status, "Rating withdrawn.", action, { articleId: article.articleId }, (sent) =>
      mutate(WITHDRAW_RATING, "withdrawRating", sent));
  });
  return form;
}

// A rater without an active rating submits one; with one, they revise it to any of the
// form's answers or withdraw it (a second submitRating would only be refused as a duplicate).
function ratingSection(article, scales, mine) {
  if (role() !== "rater") return null;
  const current = activeRating(article, mine);
  const status = formStatus();
  const button = h("button", { type: "submit" }, current ? "Revise rating" : "Submit rating");
  const fieldsets = scales.map((scale) => [scale, scaleFieldset(scale, current)]);
  const form = h(
    "form",
    { class: "rating-form" },
    fieldsets.map(([, fieldset]) => fieldset),
    commentField(current),
    button,
    status
  );
  showAskedScales(form, fieldsets);
  // A relevance chosen (by pointer, or by the arrow keys in its group) shows or hides the
  // scales it decides at once.
  form.addEventListener("change", (event) => {
    if (event.target.name === "relevance") showAskedScales(form, fieldsets);
  });
  const action = new Action(button);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const input = ratingInput(form, fieldsets, article);
    const [query, field, done] = current
      ? [REVISE_RATING, "reviseRating", "Rating revised."]
      : [SUBMIT_RATING, "submitRating", "Rating recorded."];
    act(status, done, action, input, (sent) => mutate(query, field, sent));
  });
  return section(
    "rating-heading",
    current ? "Your rating of this article" : "Rate this article",
    current
      ? h("p", { class: "hint your-rating" },
          `${answersText(current, scales)}; change it below, or withdraw it.`)
      : null,
    form,
    current ? withdrawForm(article) : null
  );
}
