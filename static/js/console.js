/* The moderator console: live vote and connection counts and tallies per poll. */
(function () {
  "use strict";
  var P = window.Plenum;
  var structureChanged = false;

  function setConnected(n) {
    document.querySelectorAll("[data-connected]").forEach(function (node) { node.textContent = n; });
  }

  P.connect({
    snapshot: function (snap) {
      setConnected(snap.connected);
      Object.keys(snap.results).forEach(function (id) { update(snap.results[id]); });
    },
    presence: function (msg) { setConnected(msg.connected); },
    poll: function (msg) {
      // Another console changed a poll: reload when idle so buttons match the state.
      var item = msg.poll && document.querySelector('.console-poll[data-poll="' + msg.poll.id + '"]');
      if (!item || item.className.indexOf("status-" + msg.poll.status) === -1 || msg.action === "created" || msg.action === "deleted" || msg.action === "shown") {
        structureChanged = true;
        if (!document.activeElement || document.activeElement === document.body) location.reload();
      }
    },
    results: update,
  });

  function update(msg) {
    var item = document.querySelector('.console-poll[data-poll="' + msg.poll_id + '"]');
    if (!item) return;
    var voters = item.querySelector("[data-voters]");
    if (voters) voters.textContent = msg.total;
    // Restricted polls: turnout against the eligible number (which check-ins change too).
    var eligible = item.querySelector("[data-eligible]");
    if (eligible && typeof msg.eligible === "number") {
      eligible.textContent = msg.eligible;
      item.querySelector("[data-turnout]").textContent = msg.eligible ? Math.round(100 * msg.total / msg.eligible) : 0;
    }
    P.renderResults(item.querySelector(".results"), msg);
  }

  document.addEventListener("focusout", function () { if (structureChanged) setTimeout(function () { if (document.activeElement === document.body) location.reload(); }, 500); });
})();
