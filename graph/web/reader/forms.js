// The signed-in caller's forms on an article's page: a subscriber's comment and an editor's
// hiding of a comment here, a rater's rating in rating.js. Each is one Action (api.js): one
// idempotency key per intended change, the button disabled while it is sent.
"use strict";

// Each field's own limit, as the API checks it (a comment's body: MAX_COMMENT in
// ledger/domain/validation.py; a rating's comment: MAX_RATER_COMMENT in
// ledger/domain/ratings.py, as the rating form says; a moderation reason: 1,000). The
// API checks again and words the refusal; the browser tests compare these with the API's.
const LIMITS = { commentBody: 5000, ratingComment: 1000, hideReason: 1000 };

const RESULT_FIELDS = "__typename ... on Error { code message }";
const POST_COMMENT = `mutation PostComment($input: PostCommentInput!) {
  postComment(input: $input) { ${RESULT_FIELDS} } }`;
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
