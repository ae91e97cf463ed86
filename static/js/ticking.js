// Time-relative values keep ticking on an open page, without a server event: a queue row's
// "in 25 min" (`<time data-tick="due">`, from its `datetime`) and a ticket's SLA clocks'
// "1 h 05 min business time left" (`<time data-tick="business">`: the business seconds left
// at `data-at`, counting while `data-counting` until `data-changes`, when business hours open
// or close). Every half minute each is worded again in the page's language, from the formats
// the server words them with (`data-words` on this script, see sla/templatetags/sla_clocks.py)
// and the same arithmetic: whole minutes rounded down, overdue (and the `overdue` class) once
// the time left is below zero. A clock that reaches `data-changes` asks its live region to be
// read afresh (`clocks-stale`, heard by live.js): the server knows the business hours.
(function () {
  "use strict";
  const script = document.currentScript;
  if (!script || !script.dataset.words) return;
  const words = JSON.parse(script.dataset.words);
  // The browser's clock may differ from the server's: count from the server's instants.
  const skew = Date.now() - Date.parse(script.dataset.now);
  const EVERY = 30000;  // ms
  const DAY = 24 * 60;  // minutes

  function format(template, values) {
    return template.replace(/%\((\w+)\)(0?)(\d*)d|%\((\w+)\)s/g, function (_m, name, zero, width, text) {
      if (text) return values[text];
      let value = String(values[name]);
      while (zero && value.length < parseInt(width || "0", 10)) value = "0" + value;
      return value;
    });
  }

  function span(seconds, days) {
    const minutes = Math.floor(Math.abs(seconds) / 60);
    if (days && minutes >= DAY) {
      return format(words.days, { days: Math.floor(minutes / DAY), hours: Math.floor(minutes % DAY / 60) });
    }
    if (minutes >= 60) {
      return format(words.hm, { hours: Math.floor(minutes / 60), minutes: minutes % 60 });
    }
    return format(words.m, { minutes: minutes });
  }

  function serverNow() {
    return Date.now() - skew;
  }

  function leftOf(time, now) {
    // Seconds left (negative: overdue), or null when the value does not tick.
    if (time.dataset.tick === "due") {
      const due = Date.parse(time.getAttribute("datetime"));
      return isNaN(due) ? null : (due - now) / 1000;
    }
    const at = Date.parse(time.dataset.at);
    const left = parseFloat(time.dataset.left);
    if (isNaN(at) || isNaN(left)) return null;
    const changes = time.dataset.changes ? Date.parse(time.dataset.changes) : Infinity;
    if (now >= changes && !time.dataset.stale) {
      time.dataset.stale = "1";
      time.dispatchEvent(new CustomEvent("clocks-stale", { bubbles: true }));
    }
    if (!time.dataset.counting) return left;
    return left - (Math.max(at, Math.min(now, changes)) - at) / 1000;
  }

  function tick() {
    const now = serverNow();
    document.querySelectorAll("time[data-tick]").forEach(function (time) {
      const left = leftOf(time, now);
      if (left === null) return;
      const overdue = left < 0;
      let text;
      if (time.dataset.tick === "due") {
        text = overdue ? format(words.overdue, { ago: span(left, true) })
          : format(words.in, { left: span(left, true) });
      } else {
        text = overdue ? format(words.over, { over: span(left, false) })
          : format(words.left, { left: span(left, false) });
      }
      if (time.textContent !== text) time.textContent = text;
      time.classList.toggle("overdue", overdue);
    });
  }

  setInterval(tick, EVERY);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) tick();  // a tab brought back shows the time left at once
  });
  tick();
})();
