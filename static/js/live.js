/* Shared live layer: connects the page's socket, re-joins after every reconnect and
   renders tallies of every poll kind. Follows docs/realtime.md ("Results by kind"). */
(function () {
  "use strict";

  var root = document.getElementById("live");
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var lastSeq = {};
  var CHOICE_KINDS = ["single", "multiple", "yes_no", "quiz"];
  // Asked at each use: a person may switch "reduce motion" on while the page is open.
  var motionQuery = window.matchMedia ? window.matchMedia("(prefers-reduced-motion: reduce)") : null;
  function reduceMotion() { return Boolean(motionQuery && motionQuery.matches); }

  function text(key, fallback) {
    return (root && root.dataset["text" + key]) || fallback;
  }

  /* A text with {name} placeholders filled in ("{left} of {budget} left"). */
  function format(key, fallback, values) {
    return text(key, fallback).replace(/\{(\w+)\}/g, function (all, name) {
      return values[name] === undefined ? all : String(values[name]);
    });
  }

  function el(tag, cls, content) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (content !== undefined && content !== null) node.textContent = content;
    return node;
  }

  /* 42.5 -> "42.5", 42 -> "42", null -> "–" (numbers as people write them). */
  /* Numbers in the page's language: 2,5 and 1 000 in French, 2,5 and 1.000 in German. */
  var numberFormat = formatter({ maximumFractionDigits: 2 });
  var percentFormat = formatter({ style: "percent", maximumFractionDigits: 0 });
  function formatter(options) {
    try { return new Intl.NumberFormat(document.documentElement.lang || "en", options); } catch (e) { return null; }
  }
  function number(value) {
    if (value === null || value === undefined) return "–";
    var rounded = Math.round(value * 100) / 100;
    return numberFormat ? numberFormat.format(rounded) : String(rounded);
  }
  function percent(value) {
    return percentFormat ? percentFormat.format(value / 100) : value + "%";
  }

  function votesWord(count, kind) {
    if (kind === "text") return count === 1 ? text("Answer", "answer") : text("Answers", "answers");
    return count === 1 ? text("Vote", "vote") : text("Votes", "votes");
  }

  function totalLine(count, kind) {
    var p = el("p", "total");
    p.append(el("span", "total-count", number(count)), document.createTextNode(" "), el("span", "total-label", votesWord(count, kind)));
    return p;
  }

  /* The child of `parent` with `cls`, made (and appended) if missing. */
  function part(parent, tag, cls) {
    var node = parent.querySelector(":scope > ." + cls.split(" ")[0]);
    if (!node) { node = el(tag, cls); parent.append(node); }
    return node;
  }

  /* Render a results payload into a .results container; ignores stale sequence numbers.
     `poll` (optional) gives the kind's settings: the rating's end labels. */
  function renderResults(container, payload, poll) {
    if (!container || !payload) return;
    var key = String(payload.poll_id);
    if (lastSeq[key] !== undefined && payload.seq < lastSeq[key]) return;
    lastSeq[key] = payload.seq;
    var kind = payload.kind || (poll && poll.kind) || "single";
    if (container.dataset.kind !== kind || !container.querySelector(":scope > .total")) {
      // Another kind (or the hidden note) was shown here: start from an empty box.
      container.replaceChildren();
      container.dataset.kind = kind;
    }
    if (!payload.visible) {
      var hiddenTotal = totalLine(payload.total, kind);
      totalWeight(hiddenTotal, payload);
      container.replaceChildren(el("p", "results-hidden", text("Hidden", "Results are not shown yet.")), hiddenTotal);
      container.dataset.kind = "hidden";
      return;
    }
    container.querySelectorAll(":scope > .results-hidden").forEach(function (n) { n.remove(); });
    if (kind === "text") renderCloud(container, payload);
    else if (kind === "rating") renderRating(container, payload, poll);
    else if (kind === "points") renderPoints(container, payload);
    else if (kind === "ranking") renderRanking(container, payload);
    else renderChoices(container, payload, kind);
    var total = part(container, "p", "total");
    if (!total.querySelector(".total-count")) total.replaceWith(total = totalLine(payload.total, kind));
    container.append(total); // always last
    total.querySelector(".total-count").textContent = number(payload.total);
    total.querySelector(".total-label").textContent = votesWord(payload.total, kind);
    totalWeight(total, payload);
  }

  /* Weighted polls: "· weighted · total weight 17.5" after the number of voters. */
  function totalWeight(total, payload) {
    var box = total.querySelector(".total-weight");
    if (payload.total_weight === undefined || payload.total_weight === null) {
      if (box) box.remove();
      return;
    }
    if (!box) {
      box = el("span", "total-weight");
      box.append(document.createTextNode(" · "), el("span", "weighted-word", text("Weighted", "weighted")),
        document.createTextNode(" · " + text("TotalWeight", "total weight") + " "), el("span", "total-weight-value"));
      total.append(box);
    }
    box.querySelector(".total-weight-value").textContent = number(payload.total_weight);
  }

  /* The list of bars, one per option (kept across updates so widths animate). */
  function barList(container, options, cls) {
    var list = container.querySelector(":scope > ol.bars");
    if (!list) { list = el("ol", "bars"); container.append(list); }
    if (cls) list.className = "bars " + cls;
    var wanted = {};
    options.forEach(function (o) { wanted[String(o.id)] = true; });
    Array.from(list.children).forEach(function (li) { if (!wanted[li.dataset.option]) li.remove(); });
    options.forEach(function (o) {
      var li = list.querySelector(':scope > li[data-option="' + o.id + '"]');
      if (!li) {
        li = el("li", "bar");
        li.dataset.option = o.id;
        li.append(el("span", "bar-label"));
        var track = el("span", "bar-track");
        var fill = el("span", "bar-fill");
        fill.style.setProperty("--pct", "0%");
        track.append(fill);
        li.append(track, el("span", "bar-figures"));
      }
      list.append(li); // keeps the payload's order
    });
    return list;
  }

  function setFill(li, pct) {
    var fill = li.querySelector(".bar-fill");
    // Set on the next frame so the width change animates.
    requestAnimationFrame(function () { fill.style.setProperty("--pct", pct + "%"); });
  }

  /* Figures of a bar as text: parts are [class, text] pairs joined by " · ". */
  function figures(li, parts) {
    var box = li.querySelector(".bar-figures");
    var same = box.children.length === parts.length && parts.every(function (p, i) { return box.children[i].className === p[0]; });
    if (!same) {
      box.replaceChildren();
      parts.forEach(function (p, i) {
        if (i) box.append(document.createTextNode(" · "));
        box.append(el("span", p[0]));
      });
    }
    parts.forEach(function (p, i) { box.children[i].textContent = p[1]; });
  }

  function renderChoices(container, payload, kind) {
    var list = barList(container, payload.options, kind === "yes_no" ? "yes-no" : "");
    payload.options.forEach(function (o, i) {
      var li = list.children[i];
      var label = li.querySelector(".bar-label");
      label.textContent = o.label;
      markLang(label, optionLang(o.id));
      var correct = o.correct === true;
      li.classList.toggle("is-correct", correct);
      li.classList.toggle("is-wrong", o.correct === false);
      if (correct) {
        var tag = el("span", "tag-correct", "✓ " + text("Correct", "Correct answer"));
        tag.lang = pageLanguage;
        label.append(" ", tag);
      }
      if (kind === "yes_no") li.dataset.answer = ["yes", "no", "abstain"][i] || "";
      figures(li, [["bar-count", number(o.count)], ["bar-pct", percent(o.percent)]]);
      setFill(li, o.percent);
    });
    var banner = container.querySelector(":scope > .outcome");
    if (kind === "yes_no" && payload.outcome) {
      if (!banner) { banner = el("div", "outcome"); container.prepend(banner); }
      renderOutcome(banner, payload);
    } else if (banner) {
      banner.remove();
    }
    var rule = container.querySelector(":scope > .majority-rule");
    if (kind === "yes_no" && payload.majority && payload.majority !== "none" && !payload.outcome) {
      if (!rule) { rule = el("p", "majority-rule"); container.prepend(rule); }
      rule.textContent = majorityText(payload.majority);
    } else if (rule) {
      rule.remove();
    }
  }

  function majorityText(rule) {
    return rule === "two_thirds"
      ? text("RuleTwoThirds", "Two-thirds majority of yes and no votes required; abstentions do not count.")
      : text("RuleSimple", "Simple majority required: more yes than no; abstentions do not count.");
  }

  /* ADOPTED / REJECTED, with the rule and the figures it was decided on, in words. */
  function renderOutcome(banner, payload) {
    var adopted = payload.outcome === "adopted";
    banner.className = "outcome outcome-" + payload.outcome;
    var yes = payload.options[0] ? payload.options[0].count : 0;
    var no = payload.options[1] ? payload.options[1].count : 0;
    var head = el("p", "outcome-word", (adopted ? "✓ " + text("Adopted", "Adopted") : "✗ " + text("Rejected", "Rejected")).toUpperCase());
    if (payload.status !== "closed") head.prepend(el("span", "outcome-provisional", text("AsItStands", "As it stands:") + " "));
    var why = el("p", "outcome-why", format("OutcomeWhy", "{yes} yes, {no} no. {rule}", {
      yes: yes, no: no, rule: majorityText(payload.majority),
    }));
    banner.replaceChildren(head, why);
  }

  /* Rating: mean and median as big figures, then the histogram (one bar per point). */
  function renderRating(container, payload, poll) {
    var stats = container.querySelector(":scope > .rating-stats");
    if (!stats) {
      stats = el("dl", "rating-stats");
      [["mean", text("Mean", "Mean")], ["median", text("Median", "Median")]].forEach(function (pair) {
        var box = el("div", "stat-" + pair[0]);
        box.append(el("dt", null, pair[1]), el("dd", "stat-value"));
        stats.append(box);
      });
      container.prepend(stats);
    }
    var scale = payload.options.length;
    stats.querySelector(".stat-mean .stat-value").textContent = number(payload.mean);
    stats.querySelector(".stat-median .stat-value").textContent = number(payload.median);
    stats.querySelectorAll(".stat-value").forEach(function (dd) {
      if (!dd.querySelector(".stat-of")) dd.append(el("span", "stat-of"));
      dd.querySelector(".stat-of").textContent = " / " + scale;
    });
    var list = barList(container, payload.options, "histogram");
    var low = poll && poll.low_label, high = poll && poll.high_label;
    payload.options.forEach(function (o, i) {
      var li = list.children[i];
      var label = li.querySelector(".bar-label");
      label.replaceChildren(el("span", "scale-point", o.label));
      var end = i === 0 ? low : (i === scale - 1 ? high : "");
      if (end) label.append(el("span", "scale-end", end));
      figures(li, [["bar-count", number(o.count)], ["bar-pct", percent(o.percent)]]);
      setFill(li, o.percent);
    });
  }

  /* Points: the average allocation per option, out of the budget. */
  function renderPoints(container, payload) {
    var note = part(container, "p", "kind-note");
    note.textContent = format("PointsNote", "Average points per participant, out of {budget}", { budget: payload.budget });
    container.prepend(note);
    var list = barList(container, payload.options, "points");
    payload.options.forEach(function (o, i) {
      var li = list.children[i];
      markLang(li.querySelector(".bar-label"), optionLang(o.id)).textContent = o.label;
      figures(li, [["bar-avg", format("Points", "{n} pts", { n: number(o.average) })], ["bar-pct", percent(o.percent)]]);
      setFill(li, o.percent);
    });
  }

  /* Ranking: options by Borda score, best first, with the average rank. */
  function renderRanking(container, payload) {
    var note = part(container, "p", "kind-note");
    note.textContent = text("RankingNote", "Order by Borda score (a first place earns most points)");
    container.prepend(note);
    var sorted = payload.options.slice().sort(function (a, b) {
      return b.borda - a.borda; // a stable sort: ties keep the poll's order, as on the server
    });
    var list = container.querySelector(":scope > ol.bars");
    var before = {};
    if (list && !reduceMotion()) Array.from(list.children).forEach(function (li) { before[li.dataset.option] = li.getBoundingClientRect().top; });
    list = barList(container, sorted, "ranking");
    sorted.forEach(function (o, i) {
      var li = list.children[i];
      var label = li.querySelector(".bar-label");
      var name = markLang(el("span", "rank-name", o.label), optionLang(o.id));
      label.replaceChildren(el("span", "rank-place", (i + 1) + "."), document.createTextNode(" "), name);
      figures(li, [
        ["bar-borda", format("Borda", "{n} points", { n: o.borda })],
        ["bar-avgrank", format("AverageRank", "average rank {n}", { n: number(o.average_rank) })],
      ]);
      setFill(li, o.percent);
      // Slide rows to their new place (FLIP) rather than jumping.
      var top = before[String(o.id)];
      if (top !== undefined) {
        var delta = top - li.getBoundingClientRect().top;
        if (delta) {
          li.style.transition = "none";
          li.style.transform = "translateY(" + delta + "px)";
          requestAnimationFrame(function () {
            li.style.transition = "transform .5s ease";
            li.style.transform = "";
          });
        }
      }
    });
  }

  /* Open text: a word cloud (size by count, the count as text too) and the newest answers. */
  function renderCloud(container, payload) {
    var cloud = container.querySelector(":scope > ul.cloud");
    if (!cloud) {
      cloud = el("ul", "cloud");
      cloud.setAttribute("aria-label", text("CloudLabel", "Word cloud"));
      container.prepend(cloud);
    }
    var entries = payload.cloud || [];
    var most = entries.reduce(function (m, e) { return Math.max(m, e.count); }, 1);
    var keep = {};
    entries.forEach(function (entry) {
      var key = entry.text.toLowerCase();
      keep[key] = true;
      var li = Array.from(cloud.children).find(function (node) { return node.dataset.word === key; });
      if (!li) {
        li = el("li", "word word-new");
        li.dataset.word = key;
        li.append(el("span", "word-text"), el("span", "word-count"));
        cloud.append(li);
        setTimeout(function () { li.classList.remove("word-new"); }, 1200);
      }
      li.querySelector(".word-text").textContent = entry.text;
      li.querySelector(".word-count").textContent = entry.count;
      li.querySelector(".word-count").setAttribute("aria-label", format("Times", "{n} times", { n: entry.count }));
      // 1 (one mention) to 3 (the most mentioned), on a square-root scale.
      var scale = most > 1 ? 1 + 2 * Math.sqrt((entry.count - 1) / (most - 1)) : 1.6;
      li.style.setProperty("--size", scale.toFixed(2));
      li.dataset.weight = entry.count === most && most > 1 ? "top" : "";
    });
    Array.from(cloud.children).forEach(function (li) { if (!keep[li.dataset.word]) li.remove(); });
    if (!entries.length) {
      if (!cloud.querySelector(".cloud-empty")) cloud.append(el("li", "cloud-empty", text("NoAnswers", "No answers yet.")));
    } else {
      cloud.querySelectorAll(".cloud-empty").forEach(function (n) { n.remove(); });
    }
    var publicAnswers = payload.answers && !(payload.answers.length && payload.answers[0].status !== undefined);
    if (publicAnswers && !payload.answers.length) container.querySelectorAll(":scope > .latest").forEach(function (n) { n.remove(); });
    if (publicAnswers && payload.answers.length) {
      var latest = container.querySelector(":scope > .latest");
      if (!latest) {
        latest = el("section", "latest");
        latest.append(el("h3", "latest-title", text("Newest", "Newest answers")), el("ol", "latest-list"));
        container.append(latest);
      }
      var items = payload.answers.slice(0, 8).map(function (a) { return el("li", null, a.text); });
      latest.querySelector(".latest-list").replaceChildren.apply(latest.querySelector(".latest-list"), items);
    }
  }

  /* Polls come with their translations (docs/realtime.md); the page shows its own
     language's question and answers, and the tallies' labels follow. Votes and tallies
     use option ids, so every language counts together. */
  var pageLanguage = document.documentElement.lang || "en";
  // A text not translated into the page's language stays in the event's own language,
  // and says so (lang), so a screen reader reads it with the right voice (WCAG 3.1.2).
  var contentLanguage = (root && root.dataset.contentLang) || pageLanguage;
  var localLabels = {};
  var labelLangs = {};
  function localisePoll(poll) {
    var mine = (poll.translations || {})[pageLanguage] || {};
    poll.lang = mine.title ? pageLanguage : contentLanguage;
    if (mine.title) poll.title = mine.title;
    if (mine.description) poll.description = mine.description;
    var labels = mine.options || {};
    (poll.options || []).forEach(function (o) {
      // Yes / no / abstain come from the interface's own catalogues: the page's language.
      o.lang = labels[o.id] || poll.kind === "yes_no" ? pageLanguage : contentLanguage;
      labelLangs[o.id] = o.lang;
      if (labels[o.id]) { o.label = labels[o.id]; localLabels[o.id] = labels[o.id]; }
    });
    return poll;
  }
  function localiseResults(payload) {
    if (payload && payload.options) {
      payload.options.forEach(function (o) { if (localLabels[o.id]) o.label = localLabels[o.id]; });
    }
    return payload;
  }
  /* Give `node` a lang attribute when its text is not in the page's language. */
  function markLang(node, lang) {
    if (!node) return node;
    if (lang && lang !== pageLanguage) node.lang = lang; else node.removeAttribute("lang");
    return node;
  }
  function optionLang(id) { return labelLangs[id]; }

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
        (ack.polls || []).forEach(localisePoll);
        Object.keys(ack.results || {}).forEach(function (id) { localiseResults(ack.results[id]); });
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
    socket.on("poll", function (msg) {
      if (msg.poll) localisePoll(msg.poll);
      if (handlers.poll) handlers.poll(msg);
    });
    socket.on("results", function (msg) { if (handlers.results) handlers.results(localiseResults(msg)); });
    socket.on("presence", function (msg) { if (handlers.presence) handlers.presence(msg); });
    return socket;
  }

  /* Poll timers. The deadline is kept on this page's monotonic clock, taken from
     `closes_at - server_time` when the payload arrived: a phone whose clock is wrong (or
     changes) still counts down right. One ticker updates every [data-timer-for] node and
     tells the page once when a minute is left and when the time is up. */
  var deadlines = {};
  var crossed = {};
  var timerHooks = [];
  var ticker = null;
  var TICK_MS = 200;

  function trackTimer(poll) {
    if (!poll) return;
    var key = String(poll.id);
    if (poll.status === "open" && poll.closes_at && typeof poll.server_time === "number") {
      var left = poll.closes_at - poll.server_time;
      deadlines[key] = performance.now() + left;
      // A new opening (a reopened poll) arms the announcements again; a repeat of the
      // same opening (another payload of the poll) does not.
      if (!crossed[key] || crossed[key].closesAt !== poll.closes_at) {
        crossed[key] = { closesAt: poll.closes_at, minute: left <= 60000, up: false };
      }
    } else {
      // The server's close may arrive a moment before this page's clock reaches zero
      // (the payload took a while to get here): it is still the time being up.
      var state = crossed[key];
      if (poll.status === "closed" && state && !state.up && remaining(key) < 2000) {
        state.up = true;
        timerHooks.forEach(function (h) { h(Number(key), "up"); });
      }
      delete deadlines[key];
      delete crossed[key];
    }
    tick();
    if (Object.keys(deadlines).length && !ticker) ticker = setInterval(tick, TICK_MS);
  }

  /* Milliseconds left on a poll's timer (0 once up), or null when it has none running. */
  function remaining(pollId) {
    var deadline = deadlines[String(pollId)];
    return deadline === undefined ? null : Math.max(0, deadline - performance.now());
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  /* 75 -> "01:15"; an hour or more -> "1:02:05". */
  function clock(seconds) {
    var h = Math.floor(seconds / 3600), m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
    return h ? h + ":" + pad(m) + ":" + pad(s) : pad(m) + ":" + pad(s);
  }

  /* A countdown box for a poll: a label ("Time left", "Last seconds") and the clock. It
     is role=timer, which screen readers do not read out at every tick. */
  function timerNode(pollId, cls) {
    var box = el("div", "timer" + (cls ? " " + cls : ""));
    box.dataset.timerFor = pollId;
    box.setAttribute("role", "timer");
    box.append(el("span", "timer-label"), document.createTextNode(" "), el("span", "timer-clock"));
    paintTimer(box);
    return box;
  }

  function paintTimer(node) {
    var left = remaining(node.dataset.timerFor);
    node.hidden = left === null;
    if (left === null) return;
    var seconds = Math.ceil(left / 1000);
    var phase = seconds <= 0 ? "up" : (seconds <= 10 ? "last" : "running");
    if (node.dataset.phase !== phase) {
      node.dataset.phase = phase;
      node.querySelector(".timer-label").textContent = phase === "up" ? "" : (phase === "last" ? text("LastSeconds", "Last seconds!") : text("TimeLeft", "Time left"));
    }
    var shown = phase === "up" ? text("TimeUp", "Time is up") : clock(seconds);
    var face = node.querySelector(".timer-clock");
    if (face.textContent !== shown) face.textContent = shown;
  }

  function tick() {
    document.querySelectorAll("[data-timer-for]").forEach(paintTimer);
    Object.keys(deadlines).forEach(function (key) {
      var left = remaining(key), state = crossed[key];
      if (!state.minute && left <= 60000) { state.minute = true; if (left > 0) timerHooks.forEach(function (h) { h(Number(key), "minute"); }); }
      if (!state.up && left <= 0) { state.up = true; timerHooks.forEach(function (h) { h(Number(key), "up"); }); }
    });
    if (!Object.keys(deadlines).length && ticker) { clearInterval(ticker); ticker = null; }
  }

  /* `hook(pollId, "minute" | "up")`, called once per opening of a timed poll. */
  function onTimer(hook) { timerHooks.push(hook); }

  /* Say something to screen readers once; `selector` picks another live region. */
  function announce(message, selector) {
    var region = document.querySelector(selector || "[data-announce]");
    if (region) { region.textContent = ""; setTimeout(function () { region.textContent = message; }, 50); }
  }

  function newVoteId() {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  window.Plenum = {
    root: root, text: text, format: format, el: el, number: number, connect: connect,
    renderResults: renderResults, announce: announce, markLang: markLang, pageLanguage: pageLanguage, newVoteId: newVoteId, CHOICE_KINDS: CHOICE_KINDS,
    trackTimer: trackTimer, remaining: remaining, timerNode: timerNode, onTimer: onTimer,
  };
})();
