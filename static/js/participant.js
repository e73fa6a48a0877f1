/* The participant's phone page: shows open polls live, sends votes over the socket with
   a vote id, keeps an unacknowledged vote and resends it after a reconnect. */
(function () {
  "use strict";
  var P = window.Plenum;
  var list = document.querySelector("[data-polls]");
  if (!list) return;
  var state = { polls: [], mine: {}, results: {}, receipts: {}, voter: null };
  var WHO = { registered: "WhoRegistered", checked_in: "WhoCheckedIn", organisation: "WhoOrganisation" };
  var pendingKey = "plenum-pending-" + P.root.dataset.event;
  var socket;

  function loadPending() {
    try { return JSON.parse(localStorage.getItem(pendingKey) || "{}"); } catch (e) { return {}; }
  }
  function savePending(pending) {
    try { localStorage.setItem(pendingKey, JSON.stringify(pending)); } catch (e) { /* private mode */ }
  }

  function card(poll) {
    var article = P.el("article", "poll-card status-" + poll.status);
    article.id = "poll-" + poll.id;
    article.dataset.poll = poll.id;
    article.append(P.el("h3", null, poll.title));
    if (poll.description) article.append(P.el("p", "poll-desc", poll.description));
    var mine = state.mine[String(poll.id)] || [];
    var level = poll.eligibility || "anyone";
    if (level !== "anyone") article.append(whoNote(level));
    if (poll.status === "open" && !mayVote(level)) {
      notEligible(article, level);
    } else if (poll.status === "open") {
      article.append(voteForm(poll, mine));
    } else {
      article.append(P.el("p", "poll-closed", P.text("Closed", "This poll is closed.")));
    }
    if (poll.results_public && poll.status === "closed") {
      var results = P.el("div", "results");
      results.dataset.resultsFor = poll.id;
      article.append(results);
      P.renderResults(results, state.results[String(poll.id)]);
    }
    return article;
  }

  /* The server says which eligibilities this phone meets (snapshot `voter`). */
  function mayVote(level) {
    return level === "anyone" || (state.voter !== null && state.voter.eligible.indexOf(level) !== -1);
  }

  function whoNote(level) {
    var note = P.el("p", "poll-who", P.text(WHO[level], ""));
    if (level === "organisation" && state.voter && state.voter.organisation) {
      note.append(" " + P.text("CountsFor", "Your vote counts for") + " ");
      note.append(P.el("strong", null, state.voter.organisation), ".");
    }
    return note;
  }

  /* Show the poll without a form, and why: a form the server would refuse helps nobody. */
  function notEligible(article, level) {
    if (!state.voter) return; // unknown yet: a fresh snapshot is on its way
    var reason = P.el("p", "not-eligible", state.voter.reasons[level] || "");
    reason.dataset.notEligible = "";
    article.append(reason);
    if (state.voter.registered) {
      var hint = P.el("p", "hint");
      var link = P.el("a", null, P.text("Reload", "Reload this page."));
      link.href = location.pathname;
      hint.append(link);
      article.append(hint);
    }
  }

  function voteForm(poll, mine) {
    var form = P.el("form", "vote-form");
    form.dataset.kind = poll.kind;
    var fieldset = P.el("fieldset");
    var legend = P.el("legend", null, poll.kind === "multiple" ? P.text("ChooseMax", "Choose up to") + " " + poll.max_choices : "");
    if (poll.kind !== "multiple") legend.classList.add("sr-only"), legend.textContent = poll.title;
    fieldset.append(legend);
    poll.options.forEach(function (option) {
      var label = P.el("label", "choice");
      var input = P.el("input");
      input.type = poll.kind === "multiple" ? "checkbox" : "radio";
      input.name = "choice-" + poll.id;
      input.value = option.id;
      input.checked = mine.indexOf(option.id) !== -1;
      label.append(input, P.el("span", null, option.label));
      fieldset.append(label);
    });
    form.append(fieldset);
    var locked = mine.length && !poll.allow_change;
    var button = P.el("button", "button primary", mine.length ? P.text("Change", "Change my vote") : P.text("VoteButton", "Vote"));
    button.type = "submit";
    var status = P.el("p", "vote-status");
    status.setAttribute("aria-live", "polite");
    status.dataset.voteStatus = "";
    var receipt = state.receipts[String(poll.id)];
    if (mine.length) showRecorded(status, receipt);
    if (locked) {
      fieldset.disabled = true;
    } else {
      form.append(button);
    }
    form.append(status);
    form.addEventListener("change", function () {
      if (poll.kind !== "multiple") return;
      var boxes = form.querySelectorAll("input:checked");
      form.querySelectorAll("input").forEach(function (box) { box.disabled = !box.checked && boxes.length >= poll.max_choices; });
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var choices = Array.from(form.querySelectorAll("input:checked"), function (i) { return Number(i.value); });
      if (!choices.length) {
        status.textContent = P.text("ChooseOne", "Choose an option first.");
        status.classList.add("field-error");
        return;
      }
      status.classList.remove("field-error");
      send({ poll_id: poll.id, choices: choices, vote_id: P.newVoteId() }, status, button);
    });
    return form;
  }

  function send(vote, status, button) {
    var pending = loadPending();
    pending[vote.poll_id] = vote;
    savePending(pending);
    if (status) status.textContent = P.text("Sending", "Sending…");
    if (button) button.disabled = true;
    socket.timeout(10000).emit("cast_vote", vote, function (err, ack) {
      if (button) button.disabled = false;
      if (err) return; // not acknowledged: stays pending and is resent on reconnect
      var pendingNow = loadPending();
      if (pendingNow[vote.poll_id] && pendingNow[vote.poll_id].vote_id === vote.vote_id) {
        delete pendingNow[vote.poll_id];
        savePending(pendingNow);
      }
      var target = status || statusOf(vote.poll_id);
      if (ack && ack.ok) {
        state.mine[String(vote.poll_id)] = ack.choices;
        state.receipts[String(vote.poll_id)] = ack.receipt;
        renderAll();
        showRecorded(statusOf(vote.poll_id), ack.receipt);
        P.announce(P.text("Recorded", "Vote recorded. Receipt:") + " " + ack.receipt);
      } else if (target) {
        target.textContent = (ack && ack.message) || "Error";
        target.classList.add("field-error");
        if (ack && ack.error === "not_eligible") P.rejoin(); // refresh who this phone may vote as
      }
    });
  }

  /* "Vote recorded. Receipt: K7QM-2XPA", the receipt kept on one line. */
  function showRecorded(status, receipt) {
    if (!status) return;
    status.classList.remove("field-error");
    status.replaceChildren(document.createTextNode(P.text("Recorded", "Vote recorded. Receipt:") + " "));
    if (receipt) status.append(P.el("span", "receipt", receipt));
  }

  function statusOf(pollId) {
    return list.querySelector('[data-poll="' + pollId + '"] [data-vote-status]');
  }

  function renderAll() {
    var visible = state.polls.filter(function (p) { return p.status !== "draft"; });
    if (!visible.length) {
      list.replaceChildren(P.el("p", "empty", P.text("None", "No poll is open right now.")));
      return;
    }
    list.replaceChildren.apply(list, visible.map(card));
  }

  socket = P.connect({
    snapshot: function (snap) {
      state.polls = snap.polls.slice().sort(function (a, b) { return b.id - a.id; });
      state.mine = snap.mine || {};
      state.results = snap.results || {};
      state.voter = snap.voter || null;
      renderAll();
      // Resend votes that were never acknowledged (same vote id: recorded once).
      var pending = loadPending();
      Object.keys(pending).forEach(function (pollId) { send(pending[pollId], statusOf(pollId), null); });
    },
    poll: function (msg) {
      if (msg.action === "deleted") {
        state.polls = state.polls.filter(function (p) { return p.id !== msg.poll_id; });
      } else if (msg.poll) {
        var found = false;
        state.polls = state.polls.map(function (p) { if (p.id === msg.poll.id) { found = true; return msg.poll; } return p; });
        if (!found) state.polls.unshift(msg.poll);
        if (msg.action === "reset") delete state.mine[String(msg.poll.id)];
        if (msg.action === "opened") P.announce(msg.poll.title);
        // A restricted poll this phone cannot vote in (as far as it knows): ask again,
        // the attendee may have been checked in since the last snapshot.
        var level = msg.poll.eligibility || "anyone";
        if (!mayVote(level) && (state.voter === null || state.voter.registered)) P.rejoin();
      }
      renderAll();
    },
    results: function (msg) {
      state.results[String(msg.poll_id)] = msg;
      var container = list.querySelector('[data-results-for="' + msg.poll_id + '"]');
      if (container) P.renderResults(container, msg);
    },
  });
})();
