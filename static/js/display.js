/* The projector screen: shows the poll the moderator chose and its live tally. */
(function () {
  "use strict";
  var P = window.Plenum;
  var area = document.querySelector("[data-display-poll]");
  var countries = document.querySelector("[data-countries]");
  var state = { polls: {}, shown: null, results: {} };

  function statusText(poll) {
    if (!poll) return P.text("Waiting", "");
    if (poll.status === "open") return P.text("Open", "Voting open");
    if (poll.status === "closed") return P.text("Closed", "Voting closed");
    return "";
  }

  function render(results) {
    var poll = state.polls[state.shown];
    var question = area.querySelector("[data-question]");
    var status = area.querySelector("[data-status]");
    var container = area.querySelector(".results");
    if (!poll) {
      delete area.dataset.kind;
      question.textContent = P.text("Welcome", "Welcome");
      question.removeAttribute("lang");
      status.textContent = P.text("Waiting", "");
      container.replaceChildren();
      container.removeAttribute("data-results-for");
      renderTags(null);
      renderTimer(null);
      renderCountries(null, null);
      return;
    }
    if (container.dataset.resultsFor !== String(poll.id)) {
      container.replaceChildren();
      delete container.dataset.kind;
      container.dataset.resultsFor = poll.id;
    }
    area.dataset.kind = poll.kind;
    question.textContent = poll.title;
    P.markLang(question, poll.lang);
    status.textContent = statusText(poll);
    renderTags(poll);
    renderTimer(poll);
    if (results) state.results[String(poll.id)] = results;
    results = results || state.results[String(poll.id)];
    if (results) P.renderResults(container, results, poll);
    renderCountries(poll, results);
  }

  /* What kind of ballot it is, in words (not only an icon): secret, weighted. */
  function renderTags(poll) {
    var tags = area.querySelector("[data-tags]");
    if (!tags) return;
    var items = [];
    if (poll && poll.secret) items.push(P.el("span", "tag tag-secret", P.text("Secret", "Secret ballot")));
    if (poll && poll.weighted) items.push(P.el("span", "tag tag-weighted", P.text("WeightedTag", "Weighted votes")));
    tags.replaceChildren.apply(tags, items);
    tags.hidden = !items.length;
  }

  /* The big countdown of a timed poll while it is open; nothing otherwise. */
  function renderTimer(poll) {
    var slot = area.querySelector("[data-timer-slot]");
    if (!slot) return;
    var running = poll && P.remaining(poll.id) !== null;
    var current = slot.querySelector("[data-timer-for]");
    if (!running) { slot.replaceChildren(); return; }
    if (!current || current.dataset.timerFor !== String(poll.id)) slot.replaceChildren(P.timerNode(poll.id, "timer-display"));
  }

  /* Turnout by country, when the moderator asked for it: names and counts as text. */
  function renderCountries(poll, results) {
    if (!countries) return;
    countries.hidden = !(poll && poll.show_countries);
    var list = countries.querySelector("[data-country-list]");
    if (poll && countries.dataset.pollFor !== String(poll.id)) {
      list.replaceChildren(); // another poll: its rows would be misleading until its tally comes
      countries.dataset.pollFor = poll.id;
    }
    if (countries.hidden || !results || !results.countries) return;
    list.replaceChildren.apply(list, results.countries.map(function (row) {
      var li = P.el("li");
      li.dataset.country = row.country;
      li.append(P.el("span", "country-name", row.name), document.createTextNode(" "), P.el("span", "country-count", String(row.count)));
      return li;
    }));
  }

  /* The look a moderator chose in the console (high contrast, large text): pushed live,
     and read again after a reconnect, in case it changed while this screen was offline. */
  var LOOK = { contrast: "display-contrast", large_text: "display-large-text" };
  var joins = 0;
  function applyLook(options) {
    if (!options) return;
    Object.keys(LOOK).forEach(function (name) { document.body.classList.toggle(LOOK[name], Boolean(options[name])); });
  }
  function reloadLook() {
    fetch("/e/" + encodeURIComponent(P.root.dataset.event) + "/display/options.json", { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(applyLook)
      .catch(function () { /* offline again: the next join asks again */ });
  }

  var socket = P.connect({
    snapshot: function (snap) {
      if (joins++) reloadLook(); // the page came with the look of its load
      state.polls = {};
      snap.polls.forEach(function (p) { state.polls[p.id] = p; P.trackTimer(p); });
      state.shown = snap.display_poll_id;
      state.results = {};
      render(state.shown ? snap.results[String(state.shown)] : null);
    },
    poll: function (msg) {
      if (msg.poll) { state.polls[msg.poll.id] = msg.poll; P.trackTimer(msg.poll); }
      if (msg.action === "deleted") { delete state.polls[msg.poll_id]; P.trackTimer({ id: msg.poll_id }); }
      var changed = state.shown !== msg.display_poll_id;
      state.shown = msg.display_poll_id;
      if (changed && state.polls[state.shown]) P.announce(state.polls[state.shown].title);
      render(null);
    },
    results: function (msg) {
      if (msg.poll_id === state.shown) {
        var poll = state.polls[msg.poll_id];
        if (poll && poll.status !== msg.status) { poll.status = msg.status; P.trackTimer(poll); }
        render(msg);
      }
    },
  });
  socket.on("display_options", applyLook);
})();
