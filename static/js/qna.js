/* Q&A: the phone's questions, the projector and the moderation console, live over
   Socket.IO (docs/realtime.md, "Q&A"). Every page works without it: plain forms. */
(function () {
  "use strict";

  var root = document.getElementById("qna");
  if (!root || typeof io !== "function") return;
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var role = root.dataset.role;
  var conn = root.querySelector("[data-conn]");
  var sort = root.dataset.sort === "recent" ? "recent" : "top";
  var lastSeq = 0;
  var board = null;
  var mine = new Set();
  var waiting = new Map();  // this phone's own questions waiting for a moderator: id -> text
  var socket = null;

  function text(key, fallback) {
    return root.dataset["text" + key] || fallback;
  }

  function el(tag, cls, content) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (content !== undefined) node.textContent = content;
    return node;
  }

  function announce(message) {
    var region = root.querySelector("[data-announce]");
    if (region) { region.textContent = ""; setTimeout(function () { region.textContent = message; }, 50); }
  }

  function setConn(state, message) {
    document.body.dataset.connState = state;
    if (conn) conn.textContent = state === "online" ? "" : (message || text("Offline", "Reconnecting…"));
  }

  function fresh(payload) {
    if (!payload || payload.seq < lastSeq) return false;
    lastSeq = payload.seq;
    return true;
  }

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
    var voted = mine.has(q.id);
    var onStage = board.highlighted === q.id;
    var li = el("li", "question" + (voted ? " mine" : "") + (onStage ? " on-stage" : ""));
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
    var form = el("form", "upvote-form");
    form.method = "post";
    form.action = root.dataset.upvoteUrl.replace("/0/upvote", "/" + q.id + "/upvote");
    var token = el("input");
    token.type = "hidden"; token.name = "csrf_token"; token.value = csrf;
    var up = el("input");
    up.type = "hidden"; up.name = "up"; up.value = voted ? "0" : "1";
    var button = el("button", "upvote");
    button.type = "submit";
    button.setAttribute("aria-pressed", voted ? "true" : "false");
    button.setAttribute("aria-describedby", p.id);
    var arrow = el("span", "upvote-arrow", "▲");
    arrow.setAttribute("aria-hidden", "true");
    var count = el("span", "idea-votes", String(q.votes));
    count.dataset.votes = "";
    button.append(arrow, document.createTextNode(" "), el("span", "sr-only", text("Upvote", "Upvote")), document.createTextNode(" "), count);
    form.append(token, up, button);
    li.append(body, form);
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
    if (!list || !board) return;
    // An own question that reached the list (or was answered) waits no more.
    var before = waiting.size;
    board.questions.concat(board.answered).forEach(function (q) { waiting.delete(q.id); });
    var status = root.querySelector("[data-ask-status]");
    if (status && waiting.size < before) status.textContent = "";
    renderWaiting();
    var focused = document.activeElement && document.activeElement.closest("[data-question]");
    var focusId = focused ? focused.dataset.question : null;
    var questions = sorted(board.questions);
    if (!questions.length) list.replaceChildren(el("li", "empty", text("Empty", "")));
    else list.replaceChildren.apply(list, questions.map(phoneItem));
    if (focusId) {
      var again = list.querySelector('[data-question="' + focusId + '"] button');
      if (again) again.focus();
    }
    root.querySelector("[data-count]").textContent = questions.length;
    var stage = board.questions.filter(function (q) { return q.id === board.highlighted; })[0];
    var now = root.querySelector("[data-now]");
    if (now) {
      now.hidden = !stage;
      var link = now.querySelector("[data-now-link]");
      link.textContent = stage ? stage.text : "";
      link.setAttribute("href", "#q-" + (stage ? stage.id : 0));
    }
    var card = root.querySelector("[data-ask-card]");
    if (card) card.hidden = !board.open;
    var closed = root.querySelector("[data-closed-notice]");
    if (closed) closed.hidden = board.open;
    var hint = root.querySelector("[data-approval-hint]");
    if (hint) hint.hidden = !board.needs_approval;
    renderAnswered();
  }

  function renderAnswered() {
    var section = root.querySelector("[data-answered-section]");
    if (!section) return;
    var list = section.querySelector("[data-answered]");
    list.replaceChildren.apply(list, board.answered.map(function (q) {
      var li = el("li");
      li.append(el("p", "question-text", q.text), el("p", "question-author", nameOf(q) + " · ▲ " + q.votes));
      return li;
    }));
    section.querySelector("[data-answered-count]").textContent = board.answered.length;
    section.hidden = board.answered.length === 0;
  }

  function onSortLink(event) {
    var link = event.target.closest("[data-sort-link]");
    if (!link || !board) return;
    event.preventDefault();
    sort = link.dataset.sortLink;
    root.querySelectorAll("[data-sort-link]").forEach(function (other) {
      if (other === link) other.setAttribute("aria-current", "true");
      else other.removeAttribute("aria-current");
    });
    history.replaceState(null, "", link.getAttribute("href"));
    if (role === "participant") renderPhone();
  }

  function onUpvote(event) {
    var form = event.target.closest(".upvote-form");
    if (!form || !socket || !socket.connected) return;  // no socket: the plain form posts
    event.preventDefault();
    var li = form.closest("[data-question]");
    var id = Number(li.dataset.question);
    var up = !mine.has(id);
    var button = form.querySelector("button");
    button.disabled = true;
    socket.emit("upvote_question", { question_id: id, up: up }, function (ack) {
      button.disabled = false;
      if (!ack || !ack.ok) { announce(ack ? ack.message : ""); return; }
      if (ack.mine) mine.add(id); else mine.delete(id);
      li.classList.toggle("mine", ack.mine);
      button.setAttribute("aria-pressed", ack.mine ? "true" : "false");
      form.querySelector("input[name=up]").value = ack.mine ? "0" : "1";
      form.querySelector("[data-votes]").textContent = ack.votes;
    });
  }

  function onAsk(event) {
    if (!socket || !socket.connected) return;
    event.preventDefault();
    var form = event.target;
    var area = form.querySelector("textarea");
    var nameInput = form.querySelector("input[name=name]");
    var showName = form.querySelector("input[name=show_name]");
    var error = form.querySelector("[data-ask-error]");
    var status = form.querySelector("[data-ask-status]");
    var button = form.querySelector("button[type=submit]");
    var payload = { text: area.value };
    if (nameInput) payload.name = nameInput.value;
    if (showName) payload.show_name = showName.checked;
    button.disabled = true;
    status.textContent = text("Sending", "Sending…");
    socket.emit("ask_question", payload, function (ack) {
      button.disabled = false;
      status.textContent = "";
      error.replaceChildren();
      form.querySelector(".field").classList.toggle("has-error", !(ack && ack.ok));
      if (ack && ack.ok) {
        area.value = "";
        area.removeAttribute("aria-invalid");
        if (ack.question.status === "pending") {
          waiting.set(ack.question.id, ack.question.text);
          renderWaiting();
          status.textContent = text("SentPending", "Thank you!");
        } else {
          status.textContent = text("SentApproved", "Thank you!");
        }
        return;
      }
      area.setAttribute("aria-invalid", "true");
      error.textContent = ack ? ack.message : "";
      var target = ack && ack.question_id && root.querySelector('[data-question="' + ack.question_id + '"]');
      if (target) {
        target.classList.add("highlight");
        target.scrollIntoView({ block: "center" });
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
    var questions = sorted(board.questions);
    var stage = questions.filter(function (q) { return q.id === board.highlighted; })[0];
    var rest = questions.filter(function (q) { return q.id !== board.highlighted; });
    var limit = Number(stage ? root.dataset.stageLimit : root.dataset.limit) || 5;
    var box = root.querySelector("[data-stage]");
    box.hidden = !stage;
    if (stage) {
      var changed = root.querySelector("[data-stage-text]").textContent !== stage.text;
      root.querySelector("[data-stage-text]").textContent = stage.text;
      root.querySelector("[data-stage-name]").textContent = nameOf(stage);
      root.querySelector("[data-stage-votes]").textContent = stage.votes;
      if (changed) announce(stage.text);
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

  /* --- the moderation console: re-read the server-rendered parts ---------------------- */

  var refreshTimer = null;

  function busy(part) {
    return part.contains(document.activeElement) || part.querySelector("details[open]");
  }

  function refreshStaff() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(function () {
      fetch(location.href, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (!html) return;
          var page = new DOMParser().parseFromString(html, "text/html");
          var later = false;
          root.querySelectorAll("[data-live-part]").forEach(function (part) {
            var next = page.querySelector('[data-live-part="' + part.dataset.livePart + '"]');
            if (!next) return;
            if (busy(part)) { later = true; return; }
            part.replaceChildren.apply(part, Array.from(next.childNodes));
          });
          if (later) refreshTimer = setTimeout(refreshStaff, 3000);
        });
    }, 250);
  }

  /* --- socket ------------------------------------------------------------------------- */

  function render() {
    if (role === "participant") renderPhone();
    if (role === "display") renderDisplay();
    if (role === "moderator") refreshStaff();
  }

  function snapshot(ack) {
    lastSeq = ack.seq;
    board = ack;
    if (role === "participant") {
      mine = new Set(ack.mine || []);
      waiting = new Map();
      (ack.asked || []).forEach(function (q) { if (q.status === "pending") waiting.set(q.id, q.text); });
    }
    render();
  }

  function onBoard(payload) {
    if (!fresh(payload)) return;
    board = payload;
    render();
  }

  function connect() {
    socket = io({ auth: { csrf_token: csrf }, transports: ["websocket", "polling"] });
    socket.on("connect", function () {
      socket.emit("join_qna", { event: root.dataset.event, role: role }, function (ack) {
        if (!ack || !ack.ok) { setConn("error", ack && ack.message); return; }
        setConn("online");
        snapshot(ack);
      });
    });
    socket.on("disconnect", function () { setConn("offline"); });
    socket.on("connect_error", function (err) {
      setConn("offline");
      if (err && err.data && err.data.error === "csrf") setTimeout(function () { location.reload(); }, 3000);
    });
    socket.on("qna_board", onBoard);
    socket.on("qna_queue", function () { if (role === "moderator") refreshStaff(); });
  }

  root.addEventListener("click", function (event) {
    if (role === "participant" && event.target.closest("[data-sort-link]")) onSortLink(event);
  });
  root.addEventListener("submit", function (event) {
    if (role !== "participant") return;
    if (event.target.matches("[data-ask]")) onAsk(event);
    else onUpvote(event);
  });
  connect();
})();
