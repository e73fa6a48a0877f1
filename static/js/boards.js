/* Plumbing shared by the participant boards (the ideas board and the Q&A), loaded before
   ideas.js or qna.js: the socket connection and its state, stale pushes, the phone's
   upvote button, sending a form over the socket, and the moderation page that re-reads
   its server-rendered parts. What the items show stays in each board's own script. */
window.PlenumBoard = (function () {
  "use strict";

  function el(tag, cls, content) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (content !== undefined) node.textContent = content;
    return node;
  }

  /* spec: name ("ideas": join_ideas, ideas_board, ideas_queue), item (the data-* key of an
     item: "idea"), idField ("idea_id") and upvoteEvent ("upvote_idea"). */
  function create(root, spec) {
    var board = {
      el: el,
      role: root.dataset.role,
      csrf: document.querySelector('meta[name="csrf-token"]').getAttribute("content"),
      mine: new Set(),
      socket: null,
      lastSeq: 0
    };
    var conn = root.querySelector("[data-conn]");
    var itemSelector = "[data-" + spec.item + "]";

    board.text = function (key, fallback) {
      return root.dataset["text" + key] || fallback;
    };

    board.announce = function (message) {
      var region = root.querySelector("[data-announce]");
      if (region) { region.textContent = ""; setTimeout(function () { region.textContent = message; }, 50); }
    };

    function setConn(state, message) {
      document.body.dataset.connState = state;
      if (conn) conn.textContent = state === "online" ? "" : (message || board.text("Offline", "Reconnecting…"));
    }

    /* A push older than what the page shows (they may cross the join's ack) is dropped. */
    function fresh(payload) {
      if (!payload || payload.seq < board.lastSeq) return false;
      board.lastSeq = payload.seq;
      return true;
    }

    /* --- the phone ------------------------------------------------------------------ */

    /* The plain upvote form of an item, the same markup as the server renders. */
    board.upvoteForm = function (id, votes, describedBy) {
      var voted = board.mine.has(id);
      var form = el("form", "upvote-form");
      form.method = "post";
      form.action = root.dataset.upvoteUrl.replace("/0/upvote", "/" + id + "/upvote");
      var token = el("input");
      token.type = "hidden"; token.name = "csrf_token"; token.value = board.csrf;
      var up = el("input");
      up.type = "hidden"; up.name = "up"; up.value = voted ? "0" : "1";
      var button = el("button", "upvote");
      button.type = "submit";
      button.setAttribute("aria-pressed", voted ? "true" : "false");
      button.setAttribute("aria-describedby", describedBy);
      var arrow = el("span", "upvote-arrow", "▲");
      arrow.setAttribute("aria-hidden", "true");
      var count = el("span", "idea-votes", String(votes));
      count.dataset.votes = "";
      button.append(arrow, document.createTextNode(" "), el("span", "sr-only", board.text("Upvote", "Upvote")), document.createTextNode(" "), count);
      form.append(token, up, button);
      return form;
    };

    /* Replace a list's items, keeping the focus on the upvote button it was on. */
    board.fillList = function (list, items, makeItem) {
      var focused = document.activeElement && document.activeElement.closest(itemSelector);
      var focusId = focused ? focused.dataset[spec.item] : null;
      if (!items.length) {
        list.replaceChildren(el("li", "empty", board.text("Empty", "")));
        return;
      }
      list.replaceChildren.apply(list, items.map(makeItem));
      if (focusId) {
        var again = list.querySelector("[data-" + spec.item + '="' + focusId + '"] button');
        if (again) again.focus();
      }
    };

    function onUpvote(event) {
      var form = event.target.closest(".upvote-form");
      if (!form || !board.socket || !board.socket.connected) return;  // no socket: the plain form posts
      event.preventDefault();
      var li = form.closest(itemSelector);
      var id = Number(li.dataset[spec.item]);
      var payload = { up: !board.mine.has(id) };
      payload[spec.idField] = id;
      var button = form.querySelector("button");
      button.disabled = true;
      board.socket.emit(spec.upvoteEvent, payload, function (ack) {
        button.disabled = false;
        if (!ack || !ack.ok) { board.announce(ack ? ack.message : ""); return; }
        if (ack.mine) board.mine.add(id); else board.mine.delete(id);
        li.classList.toggle("mine", ack.mine);
        button.setAttribute("aria-pressed", ack.mine ? "true" : "false");
        form.querySelector("input[name=up]").value = ack.mine ? "0" : "1";
        form.querySelector("[data-votes]").textContent = ack.votes;
      });
    }

    /* Send a proposal form (an idea, a question) over the socket; onOk(ack, status) thanks.
       A refusal shows its message and points to the item it repeats, if shown. */
    board.sendForm = function (event, sendEvent, payload, parts, onOk) {
      if (!board.socket || !board.socket.connected) return;  // no socket: the plain form posts
      event.preventDefault();
      var form = event.target;
      var area = form.querySelector("textarea");
      var error = form.querySelector(parts.error);
      var status = form.querySelector(parts.status);
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      status.textContent = board.text("Sending", "Sending…");
      board.socket.emit(sendEvent, payload, function (ack) {
        button.disabled = false;
        status.textContent = "";
        error.replaceChildren();
        form.querySelector(".field").classList.toggle("has-error", !(ack && ack.ok));
        if (ack && ack.ok) {
          area.value = "";
          area.removeAttribute("aria-invalid");
          onOk(ack, status);
          return;
        }
        area.setAttribute("aria-invalid", "true");
        error.textContent = ack ? ack.message : "";
        var target = ack && ack[spec.idField] && root.querySelector("[data-" + spec.item + '="' + ack[spec.idField] + '"]');
        if (target) {
          target.classList.add("highlight");
          target.scrollIntoView({ block: "center" });
        }
      });
    };

    /* --- the moderation page: re-read the server-rendered parts -------------------------- */

    var refreshTimer = null;

    function busy(part) {
      return part.contains(document.activeElement) || part.querySelector("details[open]");
    }

    /* A part being edited (focus inside, a tool open) waits, so no typing is lost. */
    board.refreshStaff = function () {
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
            if (later) refreshTimer = setTimeout(board.refreshStaff, 3000);
          });
      }, 250);
    };

    /* --- socket ------------------------------------------------------------------------- */

    /* Join the board on every (re)connect: onSnapshot(ack) gets the join's ack, onBoard
       each fresh push; phones' submits go to onSubmit (proposals) or the upvote. */
    board.start = function (handlers) {
      var socket = io({ auth: { csrf_token: board.csrf }, transports: ["websocket", "polling"] });
      board.socket = socket;
      socket.on("connect", function () {
        socket.emit("join_" + spec.name, { event: root.dataset.event, role: board.role }, function (ack) {
          if (!ack || !ack.ok) { setConn("error", ack && ack.message); return; }
          setConn("online");
          board.lastSeq = ack.seq;
          handlers.snapshot(ack);
        });
      });
      socket.on("disconnect", function () { setConn("offline"); });
      socket.on("connect_error", function (err) {
        setConn("offline");
        if (err && err.data && err.data.error === "csrf") setTimeout(function () { location.reload(); }, 3000);
      });
      socket.on(spec.name + "_board", function (payload) { if (fresh(payload)) handlers.board(payload); });
      socket.on(spec.name + "_queue", function () { if (board.role === "moderator") board.refreshStaff(); });
      root.addEventListener("submit", function (event) {
        if (board.role !== "participant") return;
        if (event.target.matches(spec.proposeForm)) handlers.propose(event);
        else onUpvote(event);
      });
    };

    return board;
  }

  return { create: create };
})();
