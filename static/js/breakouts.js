/* Breakout pages over Socket.IO (docs/realtime.md, join_breakouts):
   - the sessions page (#breakouts): seats left live;
   - any element marked data-my-sessions (the sessions page, the ranking page, the
     attendee page): the attendee's own sessions, pushed to their own room when a
     published assignment, a hand adjustment or a promotion changes them.
   The pages work without it: sign-up, switch and withdraw are plain forms. */
(function () {
  "use strict";

  var root = document.getElementById("breakouts");
  var boxes = Array.prototype.slice.call(document.querySelectorAll("[data-my-sessions]"));
  var source = root || boxes[0];
  if (!source || typeof io !== "function") return;
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var conn = root && root.querySelector("[data-conn]");
  var lastSeq = 0;
  var lastMineSeq = 0;

  function text(key, fallback, node) {
    return (node || source).dataset["text" + key] || fallback;
  }

  function leftText(left) {
    if (left <= 0) return text("Full", "Full");
    if (left === 1) return text("LeftOne", "1 seat left");
    return left + " " + text("LeftMany", "seats left");
  }

  /* One session's card: figures, and the button's wording (seat or waiting list). */
  function showSession(card, figures) {
    var node = card.querySelector("[data-left]");
    if (node) node.textContent = leftText(figures.left);
    var taken = card.querySelector("[data-taken]");
    if (taken) taken.textContent = figures.taken;
    var capacity = card.querySelector("[data-capacity]");
    if (capacity) capacity.textContent = figures.capacity;
    var waiting = card.querySelector("[data-waiting]");
    if (waiting) {
      waiting.hidden = !figures.waiting;
      waiting.textContent = figures.waiting ? ", " + figures.waiting + " " + text("Waiting", "waiting") : "";
    }
    var button = card.querySelector("button[data-action]");
    if (!button) return;
    if (button.dataset.action === "signup") {
      button.textContent = figures.left ? text("SignUp", "Sign up") : text("JoinWaiting", "Join the waiting list");
    } else {
      button.textContent = figures.left ? text("Switch", "Switch here") : text("SwitchWaiting", "Switch to its waiting list");
    }
  }

  /* Apply a payload {seq, sessions: [...]} unless it is older than the one shown. */
  function showSeats(payload) {
    if (!root || !payload || !payload.sessions || payload.seq < lastSeq) return;
    lastSeq = payload.seq;
    payload.sessions.forEach(function (figures) {
      var card = root.querySelector('[data-session="' + figures.id + '"]');
      if (card) showSession(card, figures);
    });
  }

  /* The session's day in the page's language (a push carries the server's default). */
  function localDay(entry, lang) {
    if (!entry.date || !window.Intl) return entry.day;
    try {
      return new Intl.DateTimeFormat(lang, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" })
        .format(new Date(entry.date + "T00:00:00Z"));
    } catch (e) { return entry.day; }
  }

  /* One entry of the attendee's list, the same markup as _my_sessions_list.html. */
  function myEntry(box, entry) {
    var item = document.createElement("li");
    item.dataset.mySession = entry.id;
    var link = document.createElement("a");
    link.href = box.dataset.sessionUrl + entry.id;
    var lang = document.documentElement.lang || "en";
    link.textContent = (entry.titles || {})[lang] || entry.title;
    var meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = "· " + localDay(entry, lang) + " " + entry.starts + "–" + entry.ends + (entry.room ? " · " + entry.room : "");
    item.append(link, " ", meta, document.createElement("br"));
    if (entry.position) {
      item.append(text("WaitingNumber", "Waiting list: number {n}", box).replace("{n}", entry.position));
    } else {
      var strong = document.createElement("strong");
      strong.textContent = text("SeatConfirmed", "Seat confirmed", box);
      item.append(strong);
    }
    return item;
  }

  /* Mark the sessions page's cards: the attendee's session is outlined with their status. */
  function markCards(mine) {
    var byId = {};
    mine.sessions.forEach(function (entry) { byId[entry.id] = entry; });
    root.querySelectorAll("[data-session]").forEach(function (card) {
      var entry = byId[card.dataset.session];
      card.classList.toggle("is-mine", !!entry);
      var status = card.querySelector(".my-status");
      if (!entry) {
        if (status) status.remove();
        return;
      }
      if (!status) {
        status = document.createElement("p");
        status.className = "my-status";
        card.querySelector(".seats").after(status);
      }
      status.textContent = entry.position
        ? text("WaitingHere", "You are number {n} on the waiting list.", boxes[0]).replace("{n}", entry.position)
        : text("SeatHere", "You have a seat here.", boxes[0]);
    });
  }

  function toggleAll(selector, shown) {
    document.querySelectorAll(selector).forEach(function (node) { node.hidden = !shown; });
  }

  /* Apply the attendee's own sessions {seq, mode, published, sessions} unless older. */
  function showMine(mine) {
    if (!mine || !mine.sessions || mine.seq < lastMineSeq) return;
    lastMineSeq = mine.seq;
    var assigned = mine.mode === "preference" && mine.published;
    boxes.forEach(function (box) {
      var list = box.querySelector("[data-my-list]");
      if (list) list.replaceChildren.apply(list, mine.sessions.map(function (entry) { return myEntry(box, entry); }));
      var noSeat = box.querySelector("[data-no-seat]");
      if (noSeat) noSeat.hidden = !(assigned && !mine.sessions.length);
      if (mine.sessions.length || assigned) box.hidden = false;
    });
    if (mine.mode === "preference") {
      var until = document.querySelector("[data-until-assigned]");
      if (until && until.hidden !== assigned) {
        // the page changes state: flashed messages (e.g. "choices saved") are about the old one
        var flashes = document.querySelector(".flashes");
        if (flashes) flashes.remove();
      }
      toggleAll("[data-when-assigned]", assigned);
      toggleAll("[data-until-assigned]", !assigned);
    }
    if (root && boxes.length) markCards(mine);
    document.body.dataset.myBreakouts = String(mine.seq);
  }

  function setConn(state, message) {
    document.body.dataset.connState = state;
    if (conn) conn.textContent = state === "online" ? "" : (message || text("Offline", "Reconnecting…"));
  }

  var socket = io({ auth: { csrf_token: csrf }, transports: ["websocket", "polling"] });
  socket.on("connect", function () {
    socket.emit("join_breakouts", { event: source.dataset.event }, function (ack) {
      if (!ack || !ack.ok) { setConn("error", ack && ack.message); return; }
      lastSeq = 0;
      lastMineSeq = 0;
      setConn("online");
      showSeats(ack);
      showMine(ack.mine);
    });
  });
  socket.on("disconnect", function () { setConn("offline"); });
  socket.on("connect_error", function () { setConn("offline"); });
  socket.on("breakout_seats", showSeats);
  socket.on("my_breakouts", showMine);
})();
