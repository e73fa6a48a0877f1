/* The participant's phone page: shows open polls live, sends votes over the socket with
   a vote id, keeps an unacknowledged vote and resends it after a reconnect. Each poll
   kind has its own form (docs/realtime.md, `cast_vote`): choices, yes/no tiles, a rating
   row, points with sliders, a ranking by drag or buttons, an open-text answer. A timed
   poll shows its countdown and stops taking input at zero; a secret ballot says what
   secret means before the vote and keeps its receipt on the phone after it. */
(function () {
  "use strict";
  var P = window.Plenum;
  var list = document.querySelector("[data-polls]");
  if (!list) return;
  var state = { polls: [], mine: {}, results: {}, receipts: {}, voter: null, drafts: {} };
  var WHO = { registered: "WhoRegistered", checked_in: "WhoCheckedIn", organisation: "WhoOrganisation" };
  // Friendlier words for the refusals a person can fix on the phone (else the server's).
  var ERRORS = {
    points_sum: ["ErrPointsSum", "The points must add up to exactly {budget}."],
    invalid_points: ["ErrInvalidPoints", "Give each option a whole number of points, 0 or more."],
    incomplete_ranking: ["ErrRanking", "Put every option in the ranking, each once."],
    invalid_rating: ["ErrRating", "Pick a point on the scale."],
    invalid_text: ["ErrText", "Write an answer of 1 to {max} characters."],
    blocked_word: ["ErrBlocked", "Your answer contains a word that is not allowed at this event. Please rephrase it."],
    invalid_ballot: ["ErrChoose", "Choose an option first."],
  };
  var pendingKey = "plenum-pending-" + P.root.dataset.event;
  var socket;

  // Receipts are kept on the phone: the server gives a secret ballot's receipt only once.
  var receiptsKey = "plenum-receipts-" + P.root.dataset.event;
  try { state.receipts = JSON.parse(localStorage.getItem(receiptsKey) || "{}"); } catch (e) { state.receipts = {}; }
  function saveReceipts() {
    try { localStorage.setItem(receiptsKey, JSON.stringify(state.receipts)); } catch (e) { /* private mode */ }
  }

  function loadPending() {
    try { return JSON.parse(localStorage.getItem(pendingKey) || "{}"); } catch (e) { return {}; }
  }
  function savePending(pending) {
    try { localStorage.setItem(pendingKey, JSON.stringify(pending)); } catch (e) { /* private mode */ }
  }

  function isChoice(poll) { return P.CHOICE_KINDS.indexOf(poll.kind) !== -1; }

  /* The participant's stored ballot: option ids in choice polls, else the wire form. */
  function mineOf(poll) {
    var mine = state.mine[String(poll.id)];
    if (isChoice(poll)) return Array.isArray(mine) ? mine : [];
    return mine && !Array.isArray(mine) ? mine : null;
  }
  function hasVoted(poll) {
    var raw = state.mine[String(poll.id)];
    // A secret ballot comes back as {secret: true}: voted, though how is not known.
    return Array.isArray(raw) ? raw.length > 0 : Boolean(raw);
  }

  function card(poll) {
    var article = P.el("article", "poll-card kind-" + poll.kind + " status-" + poll.status);
    article.id = "poll-" + poll.id;
    article.dataset.poll = poll.id;
    article.append(P.markLang(P.el("h3", null, poll.title), poll.lang));
    if (poll.status === "open" && P.remaining(poll.id) !== null) article.append(P.timerNode(poll.id, "timer-phone"));
    if (poll.description) article.append(P.markLang(P.el("p", "poll-desc", poll.description), poll.lang));
    var level = poll.eligibility || "anyone";
    if (level !== "anyone") article.append(whoNote(level));
    if (poll.status === "open" && !mayVote(level)) {
      notEligible(article, level);
    } else if (poll.status === "open") {
      if (poll.secret) article.append(secretNote(poll));
      article.append(voteForm(poll));
      if (P.remaining(poll.id) === 0) timeUp(article);
    } else {
      article.append(P.el("p", "poll-closed", P.text("Closed", "This poll is closed.")));
      if (poll.kind === "quiz") article.append(quizFeedback(poll));
      if (poll.kind === "text" && hasVoted(poll) && mineOf(poll).text) article.append(P.el("p", "my-answer", P.text("YourAnswer", "Your answer:") + " " + mineOf(poll).text));
      if (poll.receipts_published) article.append(receiptCheck(poll));
      else if (state.receipts[String(poll.id)]) article.append(keptReceipt(poll));
    }
    if (poll.results_public && poll.status === "closed") {
      var results = P.el("div", "results");
      results.dataset.resultsFor = poll.id;
      article.append(results);
      P.renderResults(results, state.results[String(poll.id)], poll);
    }
    return article;
  }

  /* What a secret ballot means, said before the vote; after it, that it cannot change. */
  function secretNote(poll) {
    var note = P.el("p", "secret-note");
    note.dataset.secretNote = "";
    var head = P.el("strong", "secret-head", P.text("SecretBallot", "Secret ballot:"));
    note.append(head, " ", hasVoted(poll)
      ? P.text("SecretCast", "your vote is cast and cannot be changed. Keep your receipt: once the receipts are published you can check that your vote was counted.")
      : P.text("SecretExplain", "no one, staff included, can see how you voted; you cannot change it once cast."));
    return note;
  }

  /* Published receipts: a link that finds this phone's receipt in the public list. */
  function receiptCheck(poll) {
    var receipt = state.receipts[String(poll.id)];
    var box = P.el("p", "receipt-check");
    var link = P.el("a", "button", receipt ? P.text("CheckReceipt", "Check your receipt") : P.text("SeeReceipts", "See the published receipts"));
    link.href = "/e/" + encodeURIComponent(P.root.dataset.event) + "/polls/" + poll.id + "/receipts" +
      (receipt ? "?receipt=" + encodeURIComponent(receipt) : "");
    link.dataset.receiptLink = "";
    box.append(link);
    if (receipt) box.append(" ", P.el("span", "receipt", receipt));
    return box;
  }

  /* A closed poll's receipt, kept for when the receipts are published. */
  function keptReceipt(poll) {
    var line = P.el("p", "my-receipt", P.text("YourReceipt", "Your receipt:") + " ");
    line.append(P.el("span", "receipt", state.receipts[String(poll.id)]));
    return line;
  }

  /* The timer ran out: the form stays in sight, but takes nothing more (the server
     refuses late votes anyway and closes the poll; its `poll` push rebuilds the card). */
  function timeUp(article) {
    var form = article.querySelector(".vote-form");
    if (!form || form.dataset.timeUp) return;
    form.dataset.timeUp = "1";
    form.querySelectorAll("fieldset").forEach(function (f) { f.disabled = true; });
    form.querySelectorAll('button[data-key="submit"]').forEach(function (b) { b.disabled = true; b.hidden = true; });
    var note = P.el("p", "time-up-note", P.text("TimeUpNote", "Time is up: this poll takes no more votes."));
    note.dataset.timeUp = "";
    var status = form.querySelector("[data-vote-status]");
    form.insertBefore(note, status);
  }

  /* After a quiz closes: "Correct!" or "Not quite" against this phone's own answer. */
  function quizFeedback(poll) {
    var right = poll.options.filter(function (o) { return o.correct; });
    var box = P.el("div", "quiz-feedback");
    box.setAttribute("role", "status");
    if (!right.length) return box;
    var names = right.map(function (o) { return o.label; }).join(", ");
    var mine = mineOf(poll);
    if (!mine.length) {
      box.append(P.el("p", "quiz-answer", P.text("TheAnswer", "The correct answer:") + " " + names));
      return box;
    }
    var good = right.some(function (o) { return mine.indexOf(o.id) !== -1; });
    box.classList.add(good ? "quiz-right" : "quiz-wrong");
    box.dataset.verdict = good ? "correct" : "wrong";
    box.append(P.el("p", "quiz-verdict", good ? "✓ " + P.text("QuizRight", "Correct!") : "✗ " + P.text("QuizWrong", "Not quite.")));
    if (!good) {
      var picked = poll.options.filter(function (o) { return mine.indexOf(o.id) !== -1; }).map(function (o) { return o.label; });
      box.append(P.el("p", null, P.text("YouChose", "You chose:") + " " + picked.join(", ")));
    }
    box.append(P.el("p", "quiz-answer", P.text("TheAnswer", "The correct answer:") + " " + names));
    return box;
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

  var BUILDERS = {
    single: choiceInputs, multiple: choiceInputs, quiz: choiceInputs, yes_no: yesNoInputs,
    rating: ratingInputs, points: pointsInputs, ranking: rankingInputs, text: textInputs,
  };

  /* One form per poll: the kind's inputs, a submit button and a status line. */
  function voteForm(poll) {
    var form = P.el("form", "vote-form");
    form.dataset.kind = poll.kind;
    form.noValidate = true;
    var voted = hasVoted(poll);
    var draft = state.drafts[String(poll.id)];
    var button = P.el("button", "button primary");
    button.type = "submit";
    button.dataset.key = "submit";
    var labels = poll.kind === "text" ? ["ChangeAnswer", "Change my answer", "SendAnswer", "Send answer"] : ["Change", "Change my vote", "VoteButton", "Vote"];
    button.textContent = voted ? P.text(labels[0], labels[1]) : P.text(labels[2], labels[3]);
    var status = P.el("p", "vote-status");
    status.setAttribute("aria-live", "polite");
    status.dataset.voteStatus = "";
    var fieldset = P.el("fieldset");
    var inputs = BUILDERS[poll.kind] || choiceInputs;
    var kind = inputs(poll, fieldset, draft !== undefined ? draft : (isChoice(poll) ? mineOf(poll) : mineOf(poll)), {
      changed: function (value) {
        state.drafts[String(poll.id)] = value;
        status.classList.remove("field-error");
        if (status.dataset.error) { status.textContent = ""; delete status.dataset.error; }
        refresh();
      },
    });
    // A cast secret ballot cannot be read back: an empty, disabled form would only confuse.
    if (!(poll.secret && voted)) form.append(fieldset);
    if (voted) showRecorded(status, state.receipts[String(poll.id)], poll);
    var locked = voted && !poll.allow_change;
    if (locked) {
      fieldset.disabled = true;
    } else {
      form.append(button);
    }
    form.append(status);
    function refresh() { button.disabled = kind.ready ? !kind.ready() : false; }
    refresh();
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (locked || form.dataset.timeUp) return;
      var ballot = kind.read();
      if (ballot.error) return showStatus(status, ballot.error, true);
      send(Object.assign({ poll_id: poll.id, vote_id: P.newVoteId() }, ballot), status, button);
    });
    return form;
  }

  /* Single, multiple and quiz: radios or checkboxes. */
  function choiceInputs(poll, fieldset, mine, hooks) {
    var multiple = poll.kind === "multiple";
    var legend = P.el("legend", null, multiple ? P.text("ChooseMax", "Choose up to") + " " + poll.max_choices : poll.title);
    if (!multiple) { legend.className = "sr-only"; P.markLang(legend, poll.lang); }
    fieldset.append(legend);
    mine = Array.isArray(mine) ? mine : [];
    poll.options.forEach(function (option) {
      var label = P.el("label", "choice");
      var input = P.el("input");
      input.type = multiple ? "checkbox" : "radio";
      input.name = "choice-" + poll.id;
      input.value = option.id;
      input.dataset.key = "o" + option.id;
      input.checked = mine.indexOf(option.id) !== -1;
      label.append(input, P.markLang(P.el("span", null, option.label), option.lang));
      fieldset.append(label);
    });
    function chosen() {
      return Array.from(fieldset.querySelectorAll("input:checked"), function (i) { return Number(i.value); });
    }
    function limit() {
      if (!multiple) return;
      var n = chosen().length;
      fieldset.querySelectorAll("input").forEach(function (box) { box.disabled = !box.checked && n >= poll.max_choices; });
    }
    limit();
    fieldset.addEventListener("change", function () { limit(); hooks.changed(chosen()); });
    return {
      read: function () {
        var choices = chosen();
        return choices.length ? { choices: choices } : { error: P.text("ChooseOne", "Choose an option first.") };
      },
    };
  }

  /* Yes / No / Abstain: three big tiles (radios, so arrows and a screen reader work). */
  function yesNoInputs(poll, fieldset, mine, hooks) {
    fieldset.className = "yes-no";
    fieldset.append(P.markLang(P.el("legend", "sr-only", poll.title), poll.lang));
    var icons = ["✓", "✗", "–"];
    var names = ["yes", "no", "abstain"];
    mine = Array.isArray(mine) ? mine : [];
    poll.options.forEach(function (option, i) {
      var label = P.el("label", "yn-tile yn-" + (names[i] || "other"));
      var input = P.el("input", "yn-input");
      input.type = "radio";
      input.name = "choice-" + poll.id;
      input.value = option.id;
      input.dataset.key = "o" + option.id;
      input.checked = mine.indexOf(option.id) !== -1;
      var icon = P.el("span", "yn-icon", icons[i] || "");
      icon.setAttribute("aria-hidden", "true");
      label.append(input, icon, P.el("span", "yn-label", option.label));
      fieldset.append(label);
    });
    if (poll.majority && poll.majority !== "none") {
      fieldset.append(P.el("p", "hint yn-rule", poll.majority === "two_thirds"
        ? P.text("RuleTwoThirds", "Two-thirds majority of yes and no votes required; abstentions do not count.")
        : P.text("RuleSimple", "Simple majority required: more yes than no; abstentions do not count.")));
    }
    fieldset.addEventListener("change", function () {
      hooks.changed(Array.from(fieldset.querySelectorAll("input:checked"), function (i) { return Number(i.value); }));
    });
    return {
      read: function () {
        var input = fieldset.querySelector("input:checked");
        return input ? { choices: [Number(input.value)] } : { error: P.text("ChooseOne", "Choose an option first.") };
      },
    };
  }

  /* Rating: a row of big numbered buttons (radios) with the scale's end labels. */
  function ratingInputs(poll, fieldset, mine, hooks) {
    fieldset.className = "rating";
    var n = poll.options.length;
    fieldset.append(P.el("legend", "sr-only", P.format("RateLegend", "Rate from 1 to {n}", { n: n })));
    var current = mine && mine.rating;
    var row = P.el("div", "rating-row");
    row.style.setProperty("--points", n);
    poll.options.forEach(function (option, i) {
      var value = i + 1;
      var label = P.el("label", "rating-point");
      var input = P.el("input", "rating-input");
      input.type = "radio";
      input.name = "rating-" + poll.id;
      input.value = value;
      input.dataset.key = "r" + value;
      input.checked = current === value;
      var end = i === 0 ? poll.low_label : (i === n - 1 ? poll.high_label : "");
      if (end) input.setAttribute("aria-label", value + " – " + end);
      label.append(input, P.el("span", "rating-number", String(value)));
      row.append(label);
    });
    fieldset.append(row);
    if (poll.low_label || poll.high_label) {
      var ends = P.el("div", "rating-ends");
      ends.setAttribute("aria-hidden", "true");
      ends.append(P.el("span", "rating-low", poll.low_label ? "← " + poll.low_label : ""), P.el("span", "rating-high", poll.high_label ? poll.high_label + " →" : ""));
      fieldset.append(ends);
    }
    fieldset.addEventListener("change", function () {
      var input = fieldset.querySelector("input:checked");
      hooks.changed({ rating: input ? Number(input.value) : null });
    });
    return {
      read: function () {
        var input = fieldset.querySelector("input:checked");
        return input ? { rating: Number(input.value) } : { error: P.text("ChooseRating", "Pick a point on the scale first.") };
      },
    };
  }

  /* Points: a slider and a number box per option; the sum can never pass the budget, and
     the vote goes only when every point is given. */
  function pointsInputs(poll, fieldset, mine, hooks) {
    fieldset.className = "points";
    var budget = poll.budget || 100;
    fieldset.append(P.el("legend", "points-legend", P.format("PointsLegend", "Split {budget} points between the options", { budget: budget })));
    var given = (mine && mine.points) || {};
    var values = poll.options.map(function (o) { return Math.max(0, Number(given[String(o.id)]) || 0); });
    var rows = [];
    poll.options.forEach(function (option, i) {
      var row = P.el("div", "points-row");
      var name = P.markLang(P.el("span", "points-label", option.label), option.lang);
      name.id = "points-" + poll.id + "-" + option.id;
      var range = P.el("input", "points-range");
      range.type = "range";
      range.min = 0; range.max = budget; range.step = 1;
      range.dataset.key = "range" + option.id;
      range.setAttribute("aria-labelledby", name.id);
      var box = P.el("input", "points-number");
      box.type = "number";
      box.min = 0; box.max = budget; box.step = 1;
      box.inputMode = "numeric";
      box.dataset.key = "number" + option.id;
      box.setAttribute("aria-labelledby", name.id);
      var controls = P.el("div", "points-controls");
      controls.append(range, box);
      row.append(name, controls);
      fieldset.append(row);
      rows.push({ range: range, box: box, option: option });
      range.addEventListener("input", function () { set(i, range.value, true); });
      box.addEventListener("input", function () { set(i, box.value === "" ? 0 : box.value, false); });
      box.addEventListener("change", function () { set(i, box.value || 0, true); });
    });
    var footer = P.el("div", "points-footer");
    var left = P.el("p", "points-left");
    left.dataset.pointsLeft = "";
    var spoken = P.el("p", "sr-only");
    spoken.setAttribute("aria-live", "polite");
    var helpers = P.el("div", "points-helpers");
    var even = P.el("button", "button small", P.text("SplitEvenly", "Split evenly"));
    even.type = "button";
    even.dataset.key = "even";
    var clear = P.el("button", "button small", P.text("ClearPoints", "Clear"));
    clear.type = "button";
    clear.dataset.key = "clear";
    helpers.append(even, clear);
    footer.append(left, helpers);
    fieldset.append(footer, spoken);
    even.addEventListener("click", function () {
      var n = values.length, base = Math.floor(budget / n), extra = budget - base * n;
      values = values.map(function (_, i) { return base + (i < extra ? 1 : 0); });
      sync(true);
    });
    clear.addEventListener("click", function () { values = values.map(function () { return 0; }); sync(true); });
    var speakTimer;

    function sum() { return values.reduce(function (a, b) { return a + b; }, 0); }

    /* Set one option's points, never above what the others leave free. */
    function set(i, raw, writeBox) {
      var v = Math.floor(Number(raw));
      if (!isFinite(v) || v < 0) v = 0;
      var room = budget - (sum() - values[i]);
      values[i] = Math.min(v, room);
      rows[i].range.value = values[i];
      // While typing, the box is rewritten only when the number had to be lowered.
      if (writeBox || (rows[i].box.value !== "" && Number(rows[i].box.value) !== values[i])) rows[i].box.value = values[i];
      update(true);
    }

    function sync(changed) {
      rows.forEach(function (r, i) { r.range.value = values[i]; r.box.value = values[i]; });
      update(changed);
    }

    function update(changed) {
      var rest = budget - sum();
      rows.forEach(function (r, i) {
        r.range.style.setProperty("--fill", (100 * values[i] / budget) + "%");
      });
      left.classList.toggle("points-done", rest === 0);
      left.textContent = rest === 0
        ? "✓ " + P.format("PointsDone", "All {budget} points given", { budget: budget })
        : P.format("PointsLeft", "{left} of {budget} left", { left: rest, budget: budget });
      clearTimeout(speakTimer);
      speakTimer = setTimeout(function () { spoken.textContent = left.textContent; }, 600);
      if (changed) {
        var draft = {};
        poll.options.forEach(function (o, i) { draft[String(o.id)] = values[i]; });
        hooks.changed({ points: draft });
      }
    }
    sync(false);
    return {
      ready: function () { return sum() === budget; },
      read: function () {
        if (sum() !== budget) return { error: P.format("ErrPointsSum", "The points must add up to exactly {budget}.", { budget: budget }) };
        var points = {};
        poll.options.forEach(function (o, i) { if (values[i]) points[String(o.id)] = values[i]; });
        return { points: points };
      },
    };
  }

  function hidden(glyph) {
    var span = P.el("span", null, glyph);
    span.setAttribute("aria-hidden", "true");
    return span;
  }

  /* Ranking: drag a row (pointer events: mouse anywhere on the row, touch on its handle)
     or move it with its up/down buttons; the new place is announced. */
  function rankingInputs(poll, fieldset, mine, hooks) {
    fieldset.className = "ranking";
    fieldset.append(P.el("legend", "ranking-legend", P.text("RankLegend", "Drag or use the arrows: most preferred at the top")));
    var order = poll.options.map(function (o) { return o.id; });
    var saved = mine && mine.ranking;
    if (saved && saved.length === order.length && saved.every(function (id) { return order.indexOf(id) !== -1; })) order = saved.slice();
    var byId = {};
    poll.options.forEach(function (o) { byId[o.id] = o; });
    var listEl = P.el("ol", "rank-list");
    var spoken = P.el("p", "sr-only");
    spoken.setAttribute("aria-live", "assertive");
    spoken.dataset.rankAnnounce = "";
    order.forEach(function (id) { listEl.append(item(byId[id])); });
    fieldset.append(listEl, spoken);
    renumber();

    function item(option) {
      var li = P.el("li", "rank-item");
      li.dataset.option = option.id;
      var pos = P.el("span", "rank-pos");
      pos.setAttribute("aria-hidden", "true");
      var handle = P.el("span", "rank-handle", "⠿");
      handle.setAttribute("aria-hidden", "true");
      var label = P.markLang(P.el("span", "rank-label", option.label), option.lang);
      // The arrow is a picture: the button's name is its aria-label, said in words.
      var up = P.el("button", "rank-move rank-up");
      up.append(hidden("▲"));
      up.type = "button";
      up.dataset.key = "up" + option.id;
      up.setAttribute("aria-label", P.format("MoveUp", "Move “{label}” up", { label: option.label }));
      var down = P.el("button", "rank-move rank-down");
      down.append(hidden("▼"));
      down.type = "button";
      down.dataset.key = "down" + option.id;
      down.setAttribute("aria-label", P.format("MoveDown", "Move “{label}” down", { label: option.label }));
      up.addEventListener("click", function () { move(li, -1, up); });
      down.addEventListener("click", function () { move(li, 1, down); });
      li.append(pos, handle, label, up, down);
      li.addEventListener("pointerdown", function (e) { startDrag(e, li); });
      return li;
    }

    function items() { return Array.from(listEl.children); }

    function renumber() {
      var all = items();
      all.forEach(function (li, i) {
        li.querySelector(".rank-pos").textContent = i + 1;
        li.querySelector(".rank-up").disabled = i === 0;
        li.querySelector(".rank-down").disabled = i === all.length - 1;
      });
    }

    function changed(li) {
      renumber();
      var all = items();
      var place = all.indexOf(li) + 1;
      var label = byId[li.dataset.option].label;
      spoken.textContent = P.format("RankMoved", "“{label}” is now number {place} of {count}.", { label: label, place: place, count: all.length });
      hooks.changed({ ranking: all.map(function (node) { return Number(node.dataset.option); }) });
    }

    function move(li, delta, button) {
      if (fieldset.disabled) return;
      var all = items();
      var i = all.indexOf(li), j = i + delta;
      if (j < 0 || j >= all.length) return;
      if (delta < 0) listEl.insertBefore(li, all[j]); else listEl.insertBefore(li, all[j].nextSibling);
      changed(li);
      // Keep the focus with the moved row; at an end the other arrow still works.
      var other = button.classList.contains("rank-up") ? li.querySelector(".rank-down") : li.querySelector(".rank-up");
      (button.disabled ? other : button).focus();
      li.classList.add("rank-moved");
      setTimeout(function () { li.classList.remove("rank-moved"); }, 400);
    }

    function startDrag(e, li) {
      if (fieldset.disabled || e.button > 0 || e.target.closest("button")) return;
      // A finger drags from the handle, so the rest of the row still scrolls the page.
      if (e.pointerType !== "mouse" && !e.target.closest(".rank-handle")) return;
      e.preventDefault();
      var startY = e.pageY, startTop = li.offsetTop;
      li.setPointerCapture(e.pointerId);
      li.classList.add("dragging");
      listEl.classList.add("is-dragging");
      function onMove(ev) {
        var y = ev.pageY;
        // Near the screen's edges the page scrolls along.
        if (ev.clientY < 60) window.scrollBy(0, -12); else if (ev.clientY > window.innerHeight - 60) window.scrollBy(0, 12);
        var want = startTop + (y - startY);
        var centre = want + li.offsetHeight / 2;
        var next = li.nextElementSibling;
        while (next && centre >= next.offsetTop + next.offsetHeight / 2) { listEl.insertBefore(next, li); next = li.nextElementSibling; }
        var prev = li.previousElementSibling;
        while (prev && centre <= prev.offsetTop + prev.offsetHeight / 2) { listEl.insertBefore(li, prev); prev = li.previousElementSibling; }
        li.style.transform = "translateY(" + (want - li.offsetTop) + "px)";
        renumber();
      }
      function onUp() {
        li.removeEventListener("pointermove", onMove);
        li.removeEventListener("pointerup", onUp);
        li.removeEventListener("pointercancel", onUp);
        li.style.transform = "";
        li.classList.remove("dragging");
        listEl.classList.remove("is-dragging");
        changed(li);
      }
      li.addEventListener("pointermove", onMove);
      li.addEventListener("pointerup", onUp);
      li.addEventListener("pointercancel", onUp);
    }

    return {
      read: function () { return { ranking: items().map(function (li) { return Number(li.dataset.option); }) }; },
    };
  }

  /* Open text: a box with a character counter. */
  function textInputs(poll, fieldset, mine, hooks) {
    fieldset.className = "open-text";
    var max = poll.max_length || 140;
    var id = "answer-" + poll.id;
    var label = P.el("label", "answer-label", P.text("YourAnswerLabel", "Your answer"));
    label.htmlFor = id;
    var box = P.el("textarea", "answer-input");
    box.id = id;
    box.name = "text";
    box.maxLength = max;
    box.rows = 2;
    box.dataset.key = "text";
    box.autocomplete = "off";
    box.value = (mine && mine.text) || "";
    var counter = P.el("p", "char-counter");
    counter.id = id + "-count";
    box.setAttribute("aria-describedby", counter.id);
    fieldset.append(P.markLang(P.el("legend", "sr-only", poll.title), poll.lang), label, box, counter);
    if (poll.moderated) fieldset.append(P.el("p", "hint", P.text("Moderated", "A moderator reads the answers before they show on the screen.")));
    function count() {
      var n = box.value.length;
      counter.textContent = P.format("Chars", "{n} / {max}", { n: n, max: max });
      counter.classList.toggle("near-limit", n >= max * 0.9);
    }
    count();
    box.addEventListener("input", function () { count(); hooks.changed({ text: box.value }); });
    // Enter sends (the answer is one line; spaces are tidied by the server anyway).
    box.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); box.form.requestSubmit(); }
    });
    return {
      read: function () {
        var text = box.value.replace(/\s+/g, " ").trim();
        if (!text) return { error: P.text("WriteFirst", "Write an answer first.") };
        if (text.length > max) return { error: P.format("ErrText", "Write an answer of 1 to {max} characters.", { max: max }) };
        return { text: text };
      },
    };
  }

  // Answers that mean "not stored this time, nothing wrong with the vote": the phone
  // sends the same vote (same vote_id, so never counted twice) again by itself.
  var RETRYABLE = ["busy", "unavailable", "server_error"];
  var MAX_ATTEMPTS = 8;  // about two minutes of waiting in all, then the person decides
  var retryTimers = {};
  var attemptsOf = {};  // vote id -> sends so far: a snapshot's resend keeps the backoff
  var latestSend = {};  // poll id -> number of its newest send; only that one may retry

  function send(vote, status, button, attempt) {
    attempt = attempt === undefined ? (attemptsOf[vote.vote_id] || 0) : attempt;
    attemptsOf[vote.vote_id] = attempt;
    clearTimeout(retryTimers[vote.poll_id]);
    var sendNumber = latestSend[vote.poll_id] = (latestSend[vote.poll_id] || 0) + 1;
    var pending = loadPending();
    pending[vote.poll_id] = vote;
    savePending(pending);
    if (status) showStatus(status, P.text("Sending", "Sending…"), false);
    // Offline: socket.io would buffer the vote and send it on reconnecting, before the page
    // has joined again, and the server would refuse it (not_joined). It stays pending
    // instead: the snapshot after the rejoin resends it.
    if (!socket.connected) return;
    if (button) button.disabled = true;
    socket.timeout(10000).emit("cast_vote", vote, function (err, ack) {
      if (button) button.disabled = false;
      // No ack in time (the server is overloaded, or the connection broke): it stays
      // pending; sent again later, or on reconnect by the snapshot.
      // An older send of a vote sent again meanwhile leaves retrying to the newer one.
      var newest = sendNumber === latestSend[vote.poll_id];
      if (err) return newest && retryLater(vote, status, attempt);
      // Sent before the rejoin all the same (a connection given up late): likewise.
      if (ack && ack.error === "not_joined") return;
      if (ack && RETRYABLE.indexOf(ack.error) !== -1) return newest && retryLater(vote, status, attempt, ack);
      var pendingNow = loadPending();
      if (pendingNow[vote.poll_id] && pendingNow[vote.poll_id].vote_id === vote.vote_id) {
        delete pendingNow[vote.poll_id];
        savePending(pendingNow);
      }
      var poll = findPoll(vote.poll_id);
      var target = statusOf(vote.poll_id) || status;
      if (ack && ack.ok) {
        var key = String(vote.poll_id);
        state.mine[key] = poll && !isChoice(poll) ? (ack.ballot || vote) : ack.choices;
        // A secret ballot cannot be read back from the server: it only knows one was cast.
        if (poll && poll.secret) state.mine[key] = { secret: true };
        state.receipts[key] = ack.receipt;
        saveReceipts();
        delete state.drafts[key];
        renderAll();
        showRecorded(statusOf(vote.poll_id), ack.receipt, poll);
        P.announce(P.text("Recorded", "Vote recorded. Receipt:") + " " + ack.receipt);
      } else if (target) {
        showStatus(target, errorText(ack, poll), true);
        if (ack && ack.error === "not_eligible") P.rejoin(); // refresh who this phone may vote as
      }
    });
  }

  /* Send a still-pending vote again after a growing, jittered wait (thousands of phones
     that failed together must not come back together); give up after MAX_ATTEMPTS. */
  function retryLater(vote, status, attempt, ack) {
    if (!isPending(vote)) return;  // acknowledged meanwhile, or replaced by a newer vote
    var target = statusOf(vote.poll_id) || status;
    if (attempt + 1 >= MAX_ATTEMPTS) {
      // Kept pending, as it may have been stored without an answer: the next reconnect
      // sends it again (answered as a duplicate if it was). The person may also vote again.
      if (target) showStatus(target, (ack && ack.message) || P.text("NotConfirmed", "Not confirmed: the server did not answer. Your vote is sent again when the connection comes back; you may also vote again."), true);
      return;
    }
    var delay = Math.min(30000, 1000 * Math.pow(2, attempt)) * (0.5 + Math.random() / 2);
    if (target) {
      var wait = Math.max(1, Math.round(delay / 1000));
      showStatus(target, P.format("Retrying", "Not recorded yet. Sending again in {seconds} s…", { seconds: wait }), false);
    }
    retryTimers[vote.poll_id] = setTimeout(function () {
      if (isPending(vote)) send(vote, statusOf(vote.poll_id) || status, null, attempt + 1);
    }, delay);
  }

  function forgetPending(pollId) {
    clearTimeout(retryTimers[pollId]);
    latestSend[pollId] = (latestSend[pollId] || 0) + 1;  // answers still on their way retry nothing
    var pending = loadPending();
    if (pending[pollId]) { delete pending[pollId]; savePending(pending); }
  }

  function isPending(vote) {
    var kept = loadPending()[vote.poll_id];
    return Boolean(kept) && kept.vote_id === vote.vote_id;
  }

  /* A vote's status line: an error (red), or a wait (grey, as nothing is recorded yet). */
  function showStatus(target, message, failed) {
    target.textContent = message;
    target.classList.toggle("field-error", failed);
    target.classList.toggle("waiting", !failed);  // not green: nothing is recorded yet
    if (failed) target.dataset.error = "1"; else delete target.dataset.error;
  }

  function errorText(ack, poll) {
    if (!ack) return "Error";
    var known = ERRORS[ack.error];
    if (!known || (ack.error === "invalid_ballot" && poll && !isChoice(poll))) return ack.message || "Error";
    return P.format(known[0], known[1], { budget: poll && poll.budget, max: (poll && poll.max_length) || 140 });
  }

  function findPoll(id) {
    return state.polls.filter(function (p) { return p.id === Number(id); })[0];
  }

  /* "Vote recorded. Receipt: K7QM-2XPA", the receipt kept on one line. */
  function showRecorded(status, receipt, poll) {
    if (!status) return;
    status.classList.remove("field-error", "waiting");
    delete status.dataset.error;
    if (!receipt && poll && poll.secret) {
      // Cast from another device, or this browser's storage was cleared: no receipt here.
      status.replaceChildren(P.text("SecretNoReceipt", "Your secret ballot is cast (its receipt is on the device you voted with)."));
      return;
    }
    status.replaceChildren(document.createTextNode(P.text("Recorded", "Vote recorded. Receipt:") + " "));
    if (receipt) status.append(P.el("span", "receipt", receipt));
    if (poll && poll.kind === "text" && poll.moderated) {
      status.append(P.el("span", "vote-note", P.text("Waiting", "A moderator will read it before it shows on the screen.")));
    }
  }

  function statusOf(pollId) {
    return list.querySelector('[data-poll="' + pollId + '"] [data-vote-status]');
  }

  /* Rebuild only the cards whose poll, ballot or eligibility changed: a card being
     filled in (points, a ranking) keeps its state and focus when another poll moves. */
  function renderAll() {
    var visible = state.polls.filter(function (p) { return p.status !== "draft"; });
    if (!visible.length) {
      list.replaceChildren(P.el("p", "empty", P.text("None", "No poll is open right now.")));
      return;
    }
    var old = {};
    list.querySelectorAll(":scope > article[data-poll]").forEach(function (node) { old[node.dataset.poll] = node; });
    var active = document.activeElement;
    var focusCard = active && active.closest ? active.closest("article[data-poll]") : null;
    var focusKey = focusCard && active.dataset.key;
    var cards = visible.map(function (poll) {
      var key = String(poll.id);
      var sig = JSON.stringify([poll, state.mine[key] || null, state.receipts[key] || null, mayVote(poll.eligibility || "anyone"), state.voter && state.voter.registered,
        poll.status === "closed" ? state.results[key] || null : null]);
      var node = old[key];
      if (node && node.plenumSig === sig) return node;
      node = card(poll);
      node.plenumSig = sig;
      return node;
    });
    list.replaceChildren.apply(list, cards);
    if (focusCard && !focusCard.isConnected && focusKey) {
      var again = list.querySelector('[data-poll="' + focusCard.dataset.poll + '"] [data-key="' + focusKey + '"]');
      if (again && !again.disabled) again.focus();
    }
  }

  /* Said once, not every second: a minute left, and time up (the form stops then). */
  P.onTimer(function (pollId, moment) {
    var poll = findPoll(pollId);
    var several = state.polls.filter(function (p) { return P.remaining(p.id) !== null; }).length > 1;
    var about = several && poll ? " – " + poll.title : "";
    if (moment === "minute") P.announce(P.text("MinuteLeft", "1 minute left") + about, "[data-timer-announce]");
    if (moment === "up") {
      P.announce(P.text("TimeUp", "Time is up") + about, "[data-timer-announce]");
      var article = list.querySelector('article[data-poll="' + pollId + '"]');
      if (article) timeUp(article);
    }
  });

  socket = P.connect({
    snapshot: function (snap) {
      state.polls = snap.polls.slice().sort(function (a, b) { return b.id - a.id; });
      state.polls.forEach(P.trackTimer);
      state.mine = snap.mine || {};
      state.results = snap.results || {};
      state.voter = snap.voter || null;
      renderAll();
      // Resend votes that were never acknowledged (same vote id: recorded once).
      var pending = loadPending();
      Object.keys(pending).forEach(function (pollId) { send(pending[pollId], statusOf(pollId), null, undefined); });
    },
    poll: function (msg) {
      if (msg.action === "deleted") {
        state.polls = state.polls.filter(function (p) { return p.id !== msg.poll_id; });
        P.trackTimer({ id: msg.poll_id });
      } else if (msg.poll) {
        var found = false;
        state.polls = state.polls.map(function (p) { if (p.id === msg.poll.id) { found = true; return msg.poll; } return p; });
        if (!found) state.polls.unshift(msg.poll);
        P.trackTimer(msg.poll);
        if (msg.action === "reset") {
          forgetPending(msg.poll.id);  // the votes before the reset are gone: do not bring one back
          delete state.mine[String(msg.poll.id)];
          delete state.drafts[String(msg.poll.id)];
          delete state.receipts[String(msg.poll.id)];
          saveReceipts();
        }
        if (msg.action === "opened") P.announce(P.text("PollOpened", "New poll open:") + " " + msg.poll.title);
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
      if (container) P.renderResults(container, msg, findPoll(msg.poll_id));
    },
  });
})();
