/* Ideas board: the phone's board, the projector board and the moderation page, live over
   Socket.IO (docs/realtime.md, "Ideas board"). Every page works without it: plain forms. */
(function () {
  "use strict";

  var root = document.getElementById("ideas");
  if (!root || typeof io !== "function") return;
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var role = root.dataset.role;
  var conn = root.querySelector("[data-conn]");
  var lastSeq = 0;
  var mine = new Set();
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

  /* --- the phone ------------------------------------------------------------------ */

  function themeBadge(idea, parent) {
    if (!idea.theme) return;
    parent.append(document.createTextNode(" "), el("span", "badge theme-badge", text("Theme", "theme")));
  }

  function phoneItem(idea) {
    var voted = mine.has(idea.id);
    var li = el("li", "idea" + (voted ? " mine" : ""));
    li.id = "idea-" + idea.id;
    li.dataset.idea = idea.id;
    var p = el("p", "idea-text", idea.text);
    p.id = "idea-text-" + idea.id;
    themeBadge(idea, p);
    var form = el("form", "upvote-form");
    form.method = "post";
    form.action = root.dataset.upvoteUrl.replace("/0/upvote", "/" + idea.id + "/upvote");
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
    var count = el("span", "idea-votes", String(idea.votes));
    count.dataset.votes = "";
    button.append(arrow, document.createTextNode(" "), el("span", "sr-only", text("Upvote", "Upvote")), document.createTextNode(" "), count);
    form.append(token, up, button);
    li.append(p, form);
    return li;
  }

  function renderPhone(ideas) {
    var list = root.querySelector("[data-ideas]");
    if (!list) return;
    var focused = document.activeElement && document.activeElement.closest("[data-idea]");
    var focusId = focused ? focused.dataset.idea : null;
    if (!ideas.length) {
      list.replaceChildren(el("li", "empty", text("Empty", "")));
      return;
    }
    list.replaceChildren.apply(list, ideas.map(phoneItem));
    if (focusId) {
      var again = list.querySelector('[data-idea="' + focusId + '"] button');
      if (again) again.focus();
    }
  }

  function onUpvote(event) {
    var form = event.target.closest(".upvote-form");
    if (!form || !socket || !socket.connected) return;  // no socket: the plain form posts
    event.preventDefault();
    var li = form.closest("[data-idea]");
    var id = Number(li.dataset.idea);
    var up = !mine.has(id);
    var button = form.querySelector("button");
    button.disabled = true;
    socket.emit("upvote_idea", { idea_id: id, up: up }, function (ack) {
      button.disabled = false;
      if (!ack || !ack.ok) { announce(ack ? ack.message : ""); return; }
      if (ack.mine) mine.add(id); else mine.delete(id);
      li.classList.toggle("mine", ack.mine);
      button.setAttribute("aria-pressed", ack.mine ? "true" : "false");
      form.querySelector("input[name=up]").value = ack.mine ? "0" : "1";
      form.querySelector("[data-votes]").textContent = ack.votes;
    });
  }

  /* The hint "You have n of 5 ideas open" counts the idea just sent. */
  function bumpOpenCount() {
    var hint = root.querySelector("[data-open-count-text]");
    var count = Number(root.dataset.openCount || 0) + 1;
    root.dataset.openCount = count;
    if (hint && root.dataset.textOpenCount) hint.textContent = root.dataset.textOpenCount.replace("999", count);
  }

  function onPropose(event) {
    if (!socket || !socket.connected) return;
    event.preventDefault();
    var form = event.target;
    var area = form.querySelector("textarea");
    var error = form.querySelector("[data-propose-error]");
    var status = form.querySelector("[data-propose-status]");
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    status.textContent = text("Sending", "Sending…");
    socket.emit("propose_idea", { text: area.value }, function (ack) {
      button.disabled = false;
      status.textContent = "";
      error.replaceChildren();
      form.querySelector(".field").classList.toggle("has-error", !(ack && ack.ok));
      if (ack && ack.ok) {
        area.value = "";
        area.removeAttribute("aria-invalid");
        status.textContent = text("Sent", "Thank you!");
        bumpOpenCount();
        return;
      }
      area.setAttribute("aria-invalid", "true");
      error.textContent = ack ? ack.message : "";
      var target = ack && ack.idea_id && root.querySelector('[data-idea="' + ack.idea_id + '"]');
      if (target) {
        target.classList.add("highlight");
        target.scrollIntoView({ block: "center" });
      }
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

  /* --- the moderation page: re-read the server-rendered parts -------------------------- */

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
          var waiting = false;
          root.querySelectorAll("[data-live-part]").forEach(function (part) {
            var next = page.querySelector('[data-live-part="' + part.dataset.livePart + '"]');
            if (!next) return;
            if (busy(part)) { waiting = true; return; }
            part.replaceChildren.apply(part, Array.from(next.childNodes));
          });
          if (waiting) refreshTimer = setTimeout(refreshStaff, 3000);
        });
    }, 250);
  }

  /* --- socket ------------------------------------------------------------------------- */

  function snapshot(ack) {
    lastSeq = ack.seq;
    if (role === "participant") { mine = new Set(ack.mine || []); renderPhone(ack.ideas); }
    if (role === "display") renderDisplay(ack.ideas);
    if (role === "moderator") refreshStaff();
  }

  function onBoard(payload) {
    if (!fresh(payload)) return;
    if (role === "participant") renderPhone(payload.ideas);
    if (role === "display") renderDisplay(payload.ideas);
    if (role === "moderator") refreshStaff();
  }

  function connect() {
    socket = io({ auth: { csrf_token: csrf }, transports: ["websocket", "polling"] });
    socket.on("connect", function () {
      socket.emit("join_ideas", { event: root.dataset.event, role: role }, function (ack) {
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
    socket.on("ideas_board", onBoard);
    socket.on("ideas_queue", function () { if (role === "moderator") refreshStaff(); });
  }

  root.addEventListener("submit", function (event) {
    if (role !== "participant") return;
    if (event.target.matches("[data-propose]")) onPropose(event);
    else onUpvote(event);
  });
  connect();
})();
