/* Ideas board: the phone's board, the projector board and the moderation page, live over
   Socket.IO (docs/realtime.md, "Ideas board"). Every page works without it: plain forms.
   The socket, the upvote button and the moderation refresh come from boards.js. */
(function () {
  "use strict";

  var root = document.getElementById("ideas");
  if (!root || typeof io !== "function" || !window.PlenumBoard) return;
  var board = window.PlenumBoard.create(root, {
    name: "ideas", item: "idea", idField: "idea_id", upvoteEvent: "upvote_idea", proposeForm: "[data-propose]"
  });
  var el = board.el;
  var text = board.text;

  function themeBadge(idea, parent) {
    if (!idea.theme) return;
    parent.append(document.createTextNode(" "), el("span", "badge theme-badge", text("Theme", "theme")));
  }

  /* --- the phone ------------------------------------------------------------------ */

  function phoneItem(idea) {
    var li = el("li", "idea" + (board.mine.has(idea.id) ? " mine" : ""));
    li.id = "idea-" + idea.id;
    li.dataset.idea = idea.id;
    var p = el("p", "idea-text", idea.text);
    p.id = "idea-text-" + idea.id;
    themeBadge(idea, p);
    li.append(p, board.upvoteForm(idea.id, idea.votes, p.id));
    return li;
  }

  function renderPhone(ideas) {
    var list = root.querySelector("[data-ideas]");
    if (list) board.fillList(list, ideas, phoneItem);
  }

  /* The hint "You have n of 5 ideas open" counts the idea just sent. */
  function bumpOpenCount() {
    var hint = root.querySelector("[data-open-count-text]");
    var count = Number(root.dataset.openCount || 0) + 1;
    root.dataset.openCount = count;
    if (hint && root.dataset.textOpenCount) hint.textContent = root.dataset.textOpenCount.replace("999", count);
  }

  function onPropose(event) {
    var area = event.target.querySelector("textarea");
    var parts = { error: "[data-propose-error]", status: "[data-propose-status]" };
    board.sendForm(event, "propose_idea", { text: area.value }, parts, function (ack, status) {
      status.textContent = text("Sent", "Thank you!");
      bumpOpenCount();
    });
  }

  /* --- the projector ----------------------------------------------------------------- */

  function boardItem(idea, index, most) {
    var li = el("li", "board-idea");
    li.dataset.idea = idea.id;
    var rank = el("span", "board-rank", String(index + 1));
    rank.setAttribute("aria-hidden", "true");
    var label = el("span", "board-text", idea.text);
    themeBadge(idea, label);
    var votes = el("span", "board-votes");
    var count = el("span", "", String(idea.votes));
    count.dataset.votes = "";
    votes.append(count, document.createTextNode(" " + (idea.votes === 1 ? text("Vote", "vote") : text("Votes", "votes"))));
    var track = el("span", "board-track");
    var fill = el("span", "board-fill");
    fill.style.setProperty("--pct", (most ? Math.round(100 * idea.votes / most) : 0) + "%");
    track.append(fill);
    li.append(rank, label, votes, track);
    return li;
  }

  function renderDisplay(ideas) {
    var list = root.querySelector("[data-board]");
    var limit = Number(root.dataset.limit) || 10;
    var top = ideas.slice(0, limit);
    var most = top.reduce(function (m, i) { return Math.max(m, i.votes); }, 0);
    if (!top.length) list.replaceChildren(el("li", "board-empty", text("Empty", "")));
    else list.replaceChildren.apply(list, top.map(function (idea, i) { return boardItem(idea, i, most); }));
    var more = root.querySelector("[data-more]");
    more.textContent = ideas.length > limit ? "+" + (ideas.length - limit) + " " + text("More", "more") : "";
  }

  /* --- socket ------------------------------------------------------------------------- */

  function render(payload) {
    if (board.role === "participant") renderPhone(payload.ideas);
    if (board.role === "display") renderDisplay(payload.ideas);
    if (board.role === "moderator") board.refreshStaff();
  }

  board.start({
    snapshot: function (ack) {
      if (board.role === "participant") board.mine = new Set(ack.mine || []);
      render(ack);
    },
    board: render,
    propose: onPropose
  });
})();
