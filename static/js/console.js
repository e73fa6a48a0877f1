/* The moderator console: live vote and connection counts, tallies per poll kind, the
   time left on timed polls, and the moderation of open-text answers (Show / Hide post
   the console's own form). */
(function () {
  "use strict";
  var P = window.Plenum;
  var structureChanged = false;
  var polls = {};
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");

  function setConnected(n) {
    document.querySelectorAll("[data-connected]").forEach(function (node) { node.textContent = n; });
  }

  P.connect({
    snapshot: function (snap) {
      setConnected(snap.connected);
      polls = {};
      snap.polls.forEach(function (p) { polls[p.id] = p; P.trackTimer(p); timer(p); });
      Object.keys(snap.results).forEach(function (id) { update(snap.results[id]); });
      // After a reconnect: what another console changed meanwhile came as no `poll`
      // message; reload when idle, as for those, if the page's polls are out of date.
      if (outdated(snap)) reloadWhenIdle();
    },
    presence: function (msg) { setConnected(msg.connected); },
    poll: function (msg) {
      if (msg.poll) { polls[msg.poll.id] = msg.poll; P.trackTimer(msg.poll); timer(msg.poll); }
      // Another console changed a poll: reload when idle so buttons match the state.
      var item = msg.poll && document.querySelector('.console-poll[data-poll="' + msg.poll.id + '"]');
      if (!item || item.className.indexOf("status-" + msg.poll.status) === -1 || msg.action === "created" || msg.action === "deleted" || msg.action === "shown") {
        reloadWhenIdle();
      }
    },
    results: update,
  });

  function reloadWhenIdle() {
    structureChanged = true;
    if (!document.activeElement || document.activeElement === document.body) location.reload();
  }

  /* The page lists other polls, or other statuses or another poll on the display. */
  function outdated(snap) {
    if (document.querySelectorAll(".console-poll[data-poll]").length !== snap.polls.length) return true;
    return snap.polls.some(function (poll) {
      var item = document.querySelector('.console-poll[data-poll="' + poll.id + '"]');
      return !item || !item.classList.contains("status-" + poll.status) ||
        item.classList.contains("on-display") !== (poll.id === snap.display_poll_id);
    });
  }

  /* The time left on an open timed poll, in the slot the page keeps for it. */
  function timer(poll) {
    var slot = document.querySelector('[data-timer-slot="' + poll.id + '"]');
    if (!slot) return;
    if (P.remaining(poll.id) === null) { slot.replaceChildren(); return; }
    if (!slot.querySelector("[data-timer-for]")) slot.replaceChildren(P.timerNode(poll.id, "timer-console"));
  }

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
    P.renderResults(item.querySelector(".results"), msg, polls[msg.poll_id]);
    if (msg.kind === "text") moderation(item, msg);
  }

  /* The answers to moderate: waiting ones first, then the newest. */
  function moderation(item, msg) {
    item.querySelectorAll("[data-pending]").forEach(function (node) { node.textContent = msg.pending || 0; });
    item.querySelectorAll("[data-pending-badge]").forEach(function (node) { node.classList.toggle("has-pending", msg.pending > 0); });
    var section = item.querySelector("[data-moderation]");
    if (!section || !msg.answers) return;
    var listEl = section.querySelector("[data-answer-list]");
    var answers = msg.answers.filter(function (a) { return a.status === "pending"; })
      .concat(msg.answers.filter(function (a) { return a.status !== "pending"; }));
    if (!answers.length) {
      listEl.replaceChildren(P.el("li", "answer-none", P.text("NoAnswers", "No answers yet.")));
      return;
    }
    var active = document.activeElement;
    var focus = active && listEl.contains(active) ? [active.closest("[data-answer]").dataset.answer, active.value] : null;
    listEl.replaceChildren.apply(listEl, answers.map(function (a) { return answerRow(section, a); }));
    if (focus) {
      var again = listEl.querySelector('[data-answer="' + focus[0] + '"] button[value="' + focus[1] + '"]') ||
        listEl.querySelector('[data-answer="' + focus[0] + '"] button');
      if (again) again.focus();
    }
  }

  function answerRow(section, answer) {
    var li = P.el("li", "answer st-" + answer.status);
    li.dataset.answer = answer.id;
    var badge = P.el("span", "badge answer-status st-" + answer.status, P.text(statusKey(answer.status), answer.status));
    var form = P.el("form", "inline answer-form");
    form.method = "post";
    form.action = section.dataset.action.replace(/\/0$/, "/" + answer.id);
    var token = P.el("input");
    token.type = "hidden";
    token.name = "csrf_token";
    token.value = csrf;
    form.append(token);
    if (answer.status !== "shown") form.append(button("shown", P.text("Show", "Show")));
    if (answer.status !== "hidden") form.append(button("hidden", P.text("Hide", "Hide")));
    li.append(P.el("span", "answer-text", answer.text), badge, form);
    return li;
  }

  function statusKey(status) { return "St" + status.charAt(0).toUpperCase() + status.slice(1); }

  function button(value, label) {
    var b = P.el("button", "button small", label);
    b.type = "submit";
    b.name = "status";
    b.value = value;
    return b;
  }

  /* Show / Hide without leaving the page: the server pushes the new list to every console. */
  document.addEventListener("submit", function (e) {
    var form = e.target.closest && e.target.closest(".answer-form");
    if (!form) return;
    e.preventDefault();
    var data = new FormData(form);
    if (e.submitter && e.submitter.name) data.set(e.submitter.name, e.submitter.value);
    form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    fetch(form.action, { method: "POST", body: data, credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      var li = form.closest("[data-answer]");
      if (li) li.dataset.moderated = data.get("status");
    }).catch(function () {
      form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
      form.append(P.el("span", "field-error", P.text("ModerationFailed", "Not saved: reload the console.")));
    });
  });

  document.addEventListener("focusout", function () { if (structureChanged) setTimeout(function () { if (document.activeElement === document.body) location.reload(); }, 500); });
})();
