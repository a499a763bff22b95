// The signed-in caller's forms on an article's page: a subscriber's comment, a rater's rating
// (submitted, revised or withdrawn) and an editor's hiding of a comment. Each is one Action
// (api.js): one idempotency key per intended change, the button disabled while it is sent.
"use strict";

// Each field's own limit, as the API checks it (a comment's body: MAX_COMMENT in
// ledger/domain/validation.py; a rating's comment: MAX_RATER_COMMENT in
// ledger/domain/ratings.py, as the rating form says; a moderation reason: 1,000). The
// API checks again and words the refusal; the browser tests compare these with the API's.
const LIMITS = { commentBody: 5000, ratingComment: 1000, hideReason: 1000 };

const RESULT_FIELDS = "__typename ... on Error { code message }";
const POST_COMMENT = `mutation PostComment($input: PostCommentInput!) {
  postComment(input: $input) { ${RESULT_FIELDS} } }`;
const SUBMIT_RATING = `mutation SubmitRating($input: SubmitRatingInput!) {
  submitRating(input: $input) { ${RESULT_FIELDS} } }`;
const REVISE_RATING = `mutation ReviseRating($input: ReviseRatingInput!) {
  reviseRating(input: $input) { ${RESULT_FIELDS} } }`;
const WITHDRAW_RATING = `mutation WithdrawRating($input: WithdrawRatingInput!) {
  withdrawRating(input: $input) { ${RESULT_FIELDS} } }`;
const HIDE_COMMENT = `mutation HideComment($input: HideCommentInput!) {
  hideComment(input: $input) { ${RESULT_FIELDS} } }`;

// Sends one action's input, then draws the article again from its one query, saying what
// happened; a refusal or a failure is shown as worded and leaves the form as it was.
async function act(status, done, action, input, sendInput) {
  if (action.inFlight) return;
  status.classList.remove("error");
  status.textContent = "Sending…";
  try {
    await action.run(input, sendInput);
  } catch (error) {
    status.textContent = error.message;
    status.classList.add("error");
    return;
  }
  await renderArticle(done);
}

function formStatus() {
  return h("p", { class: "form-status", role: "alert" });
}

function hideForm(article, comment, index) {
  const id = `hide-reason-${index}`;
  const status = formStatus();
  const button = h("button", { type: "submit" }, "Hide comment");
  const form = h(
    "form",
    { class: "hide-form" },
    h("label", { for: id }, "Reason for hiding this comment"),
    h("input", { id, name: "reason", required: true, maxlength: String(LIMITS.hideReason) }),
    button,
    status
  );
  const action = new Action(button);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const input = {
      articleId: article.articleId,
      commentId: comment.id,
      reason: form.elements.reason.value,
    };
    act(status, "Comment hidden.", action, input, (sent) =>
      mutate(HIDE_COMMENT, "hideComment", sent));
  });
  return form;
}

function commentForm(article) {
  if (role() !== "subscriber") {
    return h("p", { class: "hint" }, "Subscribers comment here once signed in with their token.");
  }
  const status = formStatus();
  const button = h("button", { type: "submit" }, "Post comment");
  const form = h(
    "form",
    { class: "comment-form" },
    h("label", { for: "comment-body" }, "Your comment"),
    h("textarea", { id: "comment-body", name: "body", rows: "4", required: true,
      maxlength: String(LIMITS.commentBody) }),
    button,
    status
  );
  const action = new Action(button);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const input = { articleId: article.articleId, body: form.elements.body.value };
    act(status, "Comment posted.", action, input, (sent) =>
      mutate(POST_COMMENT, "postComment", sent));
  });
  return form;
}

function scaleFieldset(scale, current) {
  return h(
    "fieldset",
    { class: "scale" },
    h("legend", {}, scale.question),
    scale.labels.map((label) => {
      const id = `${scale.name}-${label.value}`;
      const checked = Boolean(current) && current[scale.name] === label.value;
      return h(
        "div",
        { class: "choice" },
        h("input", { type: "radio", id, name: scale.name, value: String(label.value),
          required: true, checked }),
        h("label", { for: id }, `${label.value} – ${label.label}`)
      );
    })
  );
}

// The rater's active rating on this article (from `me.ratings`), or null.
function activeRating(article, mine) {
  const found = (mine || []).find(
    (rating) => rating.article && rating.article.articleId === article.articleId
  );
  return found && !found.withdrawn ? found : null;
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

// A rater without an active rating submits one; with one, they revise or withdraw it (a
// second submitRating would only be refused as a duplicate).
function ratingSection(article, scales, mine) {
  if (role() !== "rater") return null;
  const current = activeRating(article, mine);
  const status = formStatus();
  const button = h("button", { type: "submit" }, current ? "Revise rating" : "Submit rating");
  const form = h(
    "form",
    { class: "rating-form" },
    scales.map((scale) => scaleFieldset(scale, current)),
    h("label", { for: "rating-comment" }, "Comment (optional, shown as your discipline's)"),
    h("textarea", { id: "rating-comment", name: "comment", rows: "3",
      maxlength: String(LIMITS.ratingComment) }, current ? current.comment || "" : ""),
    button,
    status
  );
  const action = new Action(button);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const comment = form.elements.comment.value.trim();
    const relevance = Number(form.elements.relevance.value);
    // Newsworthiness is asked only when relevance is above 2: the API refuses it below.
    const input = {
      articleId: article.articleId,
      relevance,
      newsworthiness: relevance > 2 ? Number(form.elements.newsworthiness.value) : null,
      comment: comment || null,
    };
    const [query, field, done] = current
      ? [REVISE_RATING, "reviseRating", "Rating revised."]
      : [SUBMIT_RATING, "submitRating", "Rating recorded."];
    act(status, done, action, input, (sent) => mutate(query, field, sent));
  });
  return section(
    "rating-heading",
    current ? "Your rating of this article" : "Rate this article",
    current
      ? h("p", { class: "hint" }, `You rated relevance ${current.relevance} and ` +
          `newsworthiness ${current.newsworthiness}; change it below, or withdraw it.`)
      : null,
    form,
    current ? withdrawForm(article) : null
  );
}
