/* Sessions page: seats left live over Socket.IO (docs/realtime.md, join_breakouts).
   The page works without it: sign-up, switch and withdraw are plain forms. */
(function () {
  "use strict";

  var root = document.getElementById("breakouts");
  if (!root || typeof io !== "function") return;
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var conn = root.querySelector("[data-conn]");
  var lastSeq = 0;

  function text(key, fallback) {
    return root.dataset["text" + key] || fallback;
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
    if (!payload || !payload.sessions || payload.seq < lastSeq) return;
    lastSeq = payload.seq;
    payload.sessions.forEach(function (figures) {
      var card = root.querySelector('[data-session="' + figures.id + '"]');
      if (card) showSession(card, figures);
    });
  }

  function setConn(state, message) {
    document.body.dataset.connState = state;
    if (conn) conn.textContent = state === "online" ? "" : (message || text("Offline", "Reconnecting…"));
  }

  var socket = io({ auth: { csrf_token: csrf }, transports: ["websocket", "polling"] });
  socket.on("connect", function () {
    socket.emit("join_breakouts", { event: root.dataset.event }, function (ack) {
      if (!ack || !ack.ok) { setConn("error", ack && ack.message); return; }
      lastSeq = 0;
      setConn("online");
      showSeats(ack);
    });
  });
  socket.on("disconnect", function () { setConn("offline"); });
  socket.on("connect_error", function () { setConn("offline"); });
  socket.on("breakout_seats", showSeats);
})();
