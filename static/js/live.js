/* Shared live layer: connects the page's socket, re-joins after every reconnect and
   renders tallies. Follows docs/realtime.md. */
(function () {
  "use strict";

  var root = document.getElementById("live");
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var lastSeq = {};

  function text(key, fallback) {
    return (root && root.dataset["text" + key]) || fallback;
  }

  function el(tag, cls, content) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (content !== undefined) node.textContent = content;
    return node;
  }

  /* Render a results payload into a .results container; ignores stale sequence numbers. */
  function renderResults(container, payload) {
    if (!container || !payload) return;
    var key = String(payload.poll_id);
    if (lastSeq[key] !== undefined && payload.seq < lastSeq[key]) return;
    lastSeq[key] = payload.seq;
    var total = container.querySelector(".total-count");
    if (!payload.visible) {
      container.replaceChildren(el("p", "results-hidden", text("Hidden", "Results are not shown yet.")), totalLine(payload.total));
      return;
    }
    var list = container.querySelector("ol.bars");
    var same = list && list.children.length === payload.options.length &&
      payload.options.every(function (o, i) { return list.children[i].dataset.option === String(o.id); });
    if (!same) {
      list = el("ol", "bars");
      payload.options.forEach(function (o) {
        var li = el("li", "bar");
        li.dataset.option = o.id;
        li.append(el("span", "bar-label", o.label));
        var track = el("span", "bar-track");
        var fill = el("span", "bar-fill");
        fill.style.setProperty("--pct", "0%");
        track.append(fill);
        li.append(track);
        var figures = el("span", "bar-figures");
        figures.append(el("span", "bar-count", "0"), document.createTextNode(" · "), el("span", "bar-pct", "0%"));
        li.append(figures);
        list.append(li);
      });
      container.replaceChildren(list, totalLine(payload.total));
    }
    payload.options.forEach(function (o, i) {
      var li = list.children[i];
      li.querySelector(".bar-label").textContent = o.label;
      li.querySelector(".bar-count").textContent = o.count;
      li.querySelector(".bar-pct").textContent = o.percent + "%";
      // Set on the next frame so the width change animates.
      requestAnimationFrame(function () { li.querySelector(".bar-fill").style.setProperty("--pct", o.percent + "%"); });
    });
    total = container.querySelector(".total-count");
    if (total) total.textContent = payload.total;
    var label = container.querySelector(".total-label");
    if (label) label.textContent = votesWord(payload.total);
  }

  function votesWord(count) {
    return count === 1 ? text("Vote", "vote") : text("Votes", "votes");
  }

  function totalLine(count) {
    var p = el("p", "total");
    p.append(el("span", "total-count", String(count)), document.createTextNode(" "), el("span", "total-label", votesWord(count)));
    return p;
  }

  /* Connect and join; `handlers.snapshot` runs on every (re)join with the full state. */
  function connect(handlers) {
    var conn = document.querySelector("[data-conn]");
    var socket = io({ auth: { csrf_token: csrf }, transports: ["websocket", "polling"] });
    function setConn(state) {
      document.body.dataset.connState = state;
      if (conn) conn.textContent = state === "online" ? "" : text("Offline", "Reconnecting…");
    }
    function join() {
      socket.emit("join", { event: root.dataset.event, role: root.dataset.role }, function (ack) {
        if (!ack || !ack.ok) {
          setConn("error");
          if (conn && ack) conn.textContent = ack.message;
          return;
        }
        lastSeq = {};
        setConn("online");
        handlers.snapshot(ack);
      });
    }
    socket.on("connect", join);
    // A fresh snapshot on demand, e.g. when who may vote changed (checked in at the door).
    window.Plenum.rejoin = function () { if (socket.connected) join(); };
    socket.on("disconnect", function () { setConn("offline"); });
    socket.on("connect_error", function (err) {
      setConn("offline");
      // A refused CSRF token means the page is stale (e.g. server key changed): reload it.
      if (err && err.data && err.data.error === "csrf") setTimeout(function () { location.reload(); }, 3000);
    });
    socket.on("poll", function (msg) { if (handlers.poll) handlers.poll(msg); });
    socket.on("results", function (msg) { if (handlers.results) handlers.results(msg); });
    socket.on("presence", function (msg) { if (handlers.presence) handlers.presence(msg); });
    return socket;
  }

  function announce(message) {
    var region = document.querySelector("[data-announce]");
    if (region) { region.textContent = ""; setTimeout(function () { region.textContent = message; }, 50); }
  }

  function newVoteId() {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  window.Plenum = { root: root, text: text, el: el, connect: connect, renderResults: renderResults, announce: announce, newVoteId: newVoteId };
})();
