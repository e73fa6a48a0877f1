/* Q&A: the phone's questions, the projector and the moderation console, live over
   Socket.IO (docs/realtime.md, "Q&A"). Every page works without it: plain forms.
   The socket, the upvote button and the moderation refresh come from boards.js. */
(function () {
  "use strict";

  var root = document.getElementById("qna");
  if (!root || typeof io !== "function" || !window.PlenumBoard) return;
  var board = window.PlenumBoard.create(root, {
    name: "qna", item: "question", idField: "question_id", upvoteEvent: "upvote_question", proposeForm: "[data-ask]"
  });
  var el = board.el;
  var text = board.text;
  var sort = root.dataset.sort === "recent" ? "recent" : "top";
  var state = null;  // the last board pushed or acked
  var waiting = new Map();  // this phone's own questions waiting for a moderator: id -> text

  function sorted(questions) {
    if (sort !== "recent") return questions.slice();
    return questions.slice().sort(function (a, b) {
      return a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : b.id - a.id;
    });
  }

  function nameOf(q) {
    return q.name || text("Anonymous", "Anonymous");
  }

  /* --- the phone ------------------------------------------------------------------ */

  function phoneItem(q) {
    var onStage = state.highlighted === q.id;
    var li = el("li", "question" + (board.mine.has(q.id) ? " mine" : "") + (onStage ? " on-stage" : ""));
    li.id = "q-" + q.id;
    li.dataset.question = q.id;
    var body = el("div", "question-body");
    if (onStage) {
      var badge = el("p", "stage-badge");
      badge.append(el("span", "badge live-badge", text("OnStage", "Being answered")));
      body.append(badge);
    }
    var p = el("p", "question-text", q.text);
    p.id = "q-text-" + q.id;
    body.append(p, el("p", "question-author", nameOf(q)));
    li.append(body, board.upvoteForm(q.id, q.votes, p.id));
    return li;
  }

  function renderWaiting() {
    var section = root.querySelector("[data-my-pending]");
    if (!section) return;
    var list = section.querySelector("[data-my-pending-list]");
    var items = [];
    waiting.forEach(function (value, id) {
      var li = el("li", "", value);
      li.dataset.pending = id;
      items.push(li);
    });
    list.replaceChildren.apply(list, items);
    section.hidden = items.length === 0;
  }

  function renderPhone() {
    var list = root.querySelector("[data-questions]");
    if (!list || !state) return;
    // An own question that reached the list (or was answered) waits no more.
    var before = waiting.size;
    state.questions.concat(state.answered).forEach(function (q) { waiting.delete(q.id); });
    var status = root.querySelector("[data-ask-status]");
    if (status && waiting.size < before) status.textContent = "";
    renderWaiting();
    var questions = sorted(state.questions);
    board.fillList(list, questions, phoneItem);
    root.querySelector("[data-count]").textContent = questions.length;
    var stage = state.questions.filter(function (q) { return q.id === state.highlighted; })[0];
    var now = root.querySelector("[data-now]");
    if (now) {
      now.hidden = !stage;
      var link = now.querySelector("[data-now-link]");
      link.textContent = stage ? stage.text : "";
      link.setAttribute("href", "#q-" + (stage ? stage.id : 0));
    }
    var card = root.querySelector("[data-ask-card]");
    if (card) card.hidden = !state.open;
    var closed = root.querySelector("[data-closed-notice]");
    if (closed) closed.hidden = state.open;
    var hint = root.querySelector("[data-approval-hint]");
    if (hint) hint.hidden = !state.needs_approval;
    renderAnswered();
  }

  function renderAnswered() {
    var section = root.querySelector("[data-answered-section]");
    if (!section) return;
    var list = section.querySelector("[data-answered]");
    list.replaceChildren.apply(list, state.answered.map(function (q) {
      var li = el("li");
      li.append(el("p", "question-text", q.text), el("p", "question-author", nameOf(q) + " · ▲ " + q.votes));
      return li;
    }));
    section.querySelector("[data-answered-count]").textContent = state.answered.length;
    section.hidden = state.answered.length === 0;
  }

  function onSortLink(event) {
    var link = event.target.closest("[data-sort-link]");
    if (!link || !state) return;
    event.preventDefault();
    sort = link.dataset.sortLink;
    root.querySelectorAll("[data-sort-link]").forEach(function (other) {
      if (other === link) other.setAttribute("aria-current", "true");
      else other.removeAttribute("aria-current");
    });
    history.replaceState(null, "", link.getAttribute("href"));
    if (board.role === "participant") renderPhone();
  }

  function onAsk(event) {
    var form = event.target;
    var nameInput = form.querySelector("input[name=name]");
    var showName = form.querySelector("input[name=show_name]");
    var payload = { text: form.querySelector("textarea").value };
    if (nameInput) payload.name = nameInput.value;
    if (showName) payload.show_name = showName.checked;
    var parts = { error: "[data-ask-error]", status: "[data-ask-status]" };
    board.sendForm(event, "ask_question", payload, parts, function (ack, status) {
      if (ack.question.status === "pending") {
        waiting.set(ack.question.id, ack.question.text);
        renderWaiting();
        status.textContent = text("SentPending", "Thank you!");
      } else {
        status.textContent = text("SentApproved", "Thank you!");
      }
    });
  }

  /* --- the projector ----------------------------------------------------------------- */

  function boardItem(q) {
    var li = el("li", "qna-item");
    li.dataset.question = q.id;
    var votes = el("span", "qna-votes");
    var arrow = el("span", "", "▲");
    arrow.setAttribute("aria-hidden", "true");
    var count = el("span", "", String(q.votes));
    count.dataset.votes = "";
    var word = el("span", "sr-only", " " + (q.votes === 1 ? text("Vote", "vote") : text("Votes", "votes")));
    votes.append(arrow, document.createTextNode(" "), count, word);
    li.append(votes, el("span", "qna-text", q.text), el("span", "qna-name", nameOf(q)));
    return li;
  }

  function renderDisplay() {
    var questions = sorted(state.questions);
    var stage = questions.filter(function (q) { return q.id === state.highlighted; })[0];
    var rest = questions.filter(function (q) { return q.id !== state.highlighted; });
    var limit = Number(stage ? root.dataset.stageLimit : root.dataset.limit) || 5;
    var box = root.querySelector("[data-stage]");
    box.hidden = !stage;
    if (stage) {
      var changed = root.querySelector("[data-stage-text]").textContent !== stage.text;
      root.querySelector("[data-stage-text]").textContent = stage.text;
      root.querySelector("[data-stage-name]").textContent = nameOf(stage);
      root.querySelector("[data-stage-votes]").textContent = stage.votes;
      if (changed) board.announce(stage.text);
    }
    var list = root.querySelector("[data-board]");
    list.classList.toggle("with-stage", !!stage);
    var top = rest.slice(0, limit);
    if (!top.length && !stage) list.replaceChildren(el("li", "board-empty", text("Empty", "")));
    else list.replaceChildren.apply(list, top.map(boardItem));
    var more = root.querySelector("[data-more]");
    var extra = rest.length - top.length;
    more.textContent = extra > 0 ? "+" + extra + " " + text("More", "more") : "";
  }

  /* --- socket ------------------------------------------------------------------------- */

  function render(payload) {
    state = payload;
    if (board.role === "participant") renderPhone();
    if (board.role === "display") renderDisplay();
    if (board.role === "moderator") board.refreshStaff();
  }

  root.addEventListener("click", function (event) {
    if (board.role === "participant" && event.target.closest("[data-sort-link]")) onSortLink(event);
  });
  board.start({
    snapshot: function (ack) {
      if (board.role === "participant") {
        board.mine = new Set(ack.mine || []);
        waiting = new Map();
        (ack.asked || []).forEach(function (q) { if (q.status === "pending") waiting.set(q.id, q.text); });
      }
      render(ack);
    },
    board: render,
    propose: onAsk
  });
})();
