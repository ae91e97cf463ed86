// One WebSocket per page: turns server events into refreshes of the page's live regions.
// Events carry ids and where a ticket sits in the queues (team, owner, status, and where it
// sat before when it moved), never HTML. From that a page decides whether it is affected
// and asks the same view for the fragment of each region that changed, never for the whole
// page: a queue page for the rows of the tickets that changed (`rows=<ids>`: each one's row,
// or a marker that it left the queue) and puts them in their sort position, or for its
// first page when it cannot decide; its navigation for the counts; a ticket page for its
// thread, SLA clocks and history. Each region has at most one request in flight and one
// queued after it that gathers everything asked for meanwhile: bursts are coalesced, never
// dropped. Counts refresh when a ticket arrives or moves, at most about every 10 s, but always
// after the last such event.
// After a disconnect the page reconnects with back-off and asks for the events it missed
// (by their per-tenant sequence number); if the server cannot prove it has them all (its log
// is too short, Redis lost events or its data during an outage, or the page was shown while
// Redis was away), it says `live.resync` and every region refreshes once. An open page whose
// server lost its own connection to Redis for a while is caught up, or told to resync, the
// same way, without asking. A ticket page says which ticket it shows, a queue page which
// queue, so the socket hears them; agents also see who else is viewing or typing on a ticket.
// Times left tick without events (ticking.js); when business hours open or close, a clock
// says `clocks-stale` and its region is read afresh.
(function () {
  "use strict";
  const body = document.body;
  const url = body && body.dataset.liveUrl;
  if (!url) return;
  const status = document.getElementById("live-status");
  const me = parseInt(body.dataset.user || "0", 10);
  const watched = body.dataset.watchTicket ? parseInt(body.dataset.watchTicket, 10) : null;
  // A queue page says which queue it shows, so its socket hears that queue's tickets.
  const queue = body.dataset.watchQueue ? {
    type: "queue.watch",
    queue: body.dataset.watchQueue,
    team: body.dataset.watchTeam ? parseInt(body.dataset.watchTeam, 10) : null,
    view: body.dataset.watchView ? parseInt(body.dataset.watchView, 10) : null,
  } : null;
  const CHANGES = {
    "ticket.created": 1, "ticket.changed": 1, "ticket.replied": 1,
    "sla.warned": 1, "sla.breached": 1, "sla.replanned": 1,
  };
  const OPEN = { new: 1, open: 1, pending: 1, on_hold: 1 };
  // Sorts in which a change can move a row that stays in the queue, and those by age (the
  // sign of the created time in a row's key).
  const MOVING_SORTS = { updated: 1, urgent: 1, breaching: 1 };
  const AGE_SORTS = { newest: -1, oldest: 1 };
  // ms: the counts refresh about this often at most (half to one and a half times it). Nine
  // capped counts cost four rows' requests, and every agent's page would ask for them after
  // nearly every change of a busy desk.
  const COUNTS_EVERY = 10000;
  const MAX_ROWS = 50;  // more changed rows than this: the region's first page instead
  const ALL = "all";
  let delay = 500;
  let lastSeq = parseInt(body.dataset.liveSeq || "0", 10) || 0;
  const seen = new Set();  // seqs already handled: a replayed event may also arrive live
  let socket = null;

  function say(text, offline) {
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("offline", !!offline);
  }

  function fire(name, detail) {
    body.dispatchEvent(new CustomEvent(name, { detail: detail, bubbles: true }));
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  // --- coalescing ---------------------------------------------------------------------------

  function merge(wanted, more) {
    if (wanted === ALL || more === ALL) return ALL;
    const ids = new Set(wanted || []);
    more.forEach(function (id) { ids.add(id); });
    return ids.size > MAX_ROWS ? ALL : ids;
  }

  // A region's refresher: `run(work)` returns a promise; `work` is the set of ticket ids
  // asked for since the last run began, or ALL. One run at a time, the next one starting
  // when it ends (and no sooner than `spacing()` ms after the last began, the first no
  // sooner than that after `since`), with everything asked for meanwhile. A run the server
  // could not answer is retried with back-off.
  function noSpacing() { return 0; }

  function refresher(run, spacing, since) {
    let busy = false;
    let wanted = null;
    let last = since === undefined ? -Infinity : since;
    let gap = spacing();
    let timer = null;
    let backoff = 1000;
    function start() {
      timer = null;
      if (busy || wanted === null) return;
      const wait = last + gap - Date.now();
      if (wait > 0) {
        timer = setTimeout(start, wait);
        return;
      }
      const work = wanted;
      wanted = null;
      busy = true;
      last = Date.now();
      gap = spacing();
      Promise.resolve(work).then(run).then(function () {
        backoff = 1000;
      }, function (error) {
        if (!error || !error.retry) return;
        wanted = merge(wanted, work);
        last = Date.now() + backoff - gap;
        backoff = Math.min(backoff * 2, 30000);
      }).then(function () {
        busy = false;
        if (!timer) start();
      });
    }
    return function (more) {
      wanted = merge(wanted, more === ALL ? ALL : more);
      if (!timer) start();
    };
  }

  // GET a fragment of this page's view: the region's id tells the view which one.
  function fragment(href, region) {
    return fetch(href, {
      credentials: "same-origin",
      headers: { "HX-Request": "true", "HX-Target": region, "HX-Current-URL": location.href },
    }).then(function (response) {
      if (!response.ok) throw { retry: response.status >= 500 };
      return response.text();
    }, function () {
      throw { retry: true };
    });
  }

  function swapped(promise) {
    return Promise.resolve(promise).catch(function () { throw { retry: true }; });
  }

  // --- a queue page's rows ------------------------------------------------------------------

  const rows = document.querySelector("tbody[data-live-rows]");
  const rowsQueue = rows && {
    queue: rows.dataset.queue,
    team: rows.dataset.team ? parseInt(rows.dataset.team, 10) : null,
    teams: new Set((rows.dataset.teams || "").split(",").filter(Boolean).map(Number)),
    sort: rows.dataset.sort,
    filtered: rows.hasAttribute("data-filtered"),
  };
  let removals = 0;
  const removedAt = new Map();  // ticket id -> when (in removals) its row was taken out here

  function shownRow(id) {
    return rows.querySelector('tr.queue-row[data-ticket="' + id + '"]');
  }

  function keyOf(row) {
    if (!row._key) row._key = JSON.parse(row.dataset.key || "[]");
    return row._key;
  }

  function sortsBefore(a, b) {
    for (let i = 0; i < a.length && i < b.length; i++) {
      if (a[i] !== b[i]) return a[i] < b[i];
    }
    return false;
  }

  // Put a row where the queue's order puts it; past the last row shown while more pages
  // follow, it belongs to a later page and is not shown.
  function place(row) {
    const key = keyOf(row);
    const others = rows.querySelectorAll("tr.queue-row");
    for (let i = 0; i < others.length; i++) {
      if (sortsBefore(key, keyOf(others[i]))) {
        others[i].before(row);
        return;
      }
    }
    if (!document.getElementById("more-row")) rows.appendChild(row);
  }

  function removeRow(id) {
    const row = shownRow(id);
    if (!row) return;
    row.remove();
    removedAt.set(id, ++removals);
    if (!rows.querySelector("tr.queue-row")) refreshRows(ALL);  // "no tickets" or the next ones
  }

  function fetchRows(work) {
    const since = removals;
    const base = rows.dataset.liveRows;
    const href = work === ALL ? base
      : base + (base.indexOf("?") < 0 ? "?" : "&") + "rows=" + Array.from(work).join(",");
    return fragment(href, rows.id).then(function (html) {
      if (work === ALL) {
        rows.innerHTML = html;
        if (window.htmx) window.htmx.process(rows);
      } else {
        const parsed = document.createElement("template");
        parsed.innerHTML = html;
        parsed.content.querySelectorAll("tr[data-ticket]").forEach(function (row) {
          const id = parseInt(row.dataset.ticket, 10);
          if ((removedAt.get(id) || 0) > since) return;  // it left after this request began
          const old = shownRow(id);
          if (old) old.remove();
          if (!row.hasAttribute("data-gone")) place(row);
        });
        const empty = rows.querySelector("tr.empty-row");
        if (empty && rows.querySelector("tr.queue-row")) empty.remove();
      }
      // Rows taken out while this request ran stay out; older marks matter no more.
      removedAt.forEach(function (at, id) {
        if (at > since) {
          const row = shownRow(id);
          if (row) row.remove();
        } else {
          removedAt.delete(id);
        }
      });
    });
  }

  const refreshRows = rows ? refresher(fetchRows, noSpacing) : function () {};

  function inQueue(place) {
    // Whether a ticket placed so belongs to this queue: true, false, or null (cannot tell).
    if (place.status === undefined) return null;
    const open = !!OPEN[place.status];
    const waiting = place.assignee === null
      && (place.team === null || rowsQueue.teams.has(place.team));
    switch (rowsQueue.queue) {
      case "inbox": return open && (place.assignee === me || waiting);
      case "mine": return open && place.assignee === me;
      case "unassigned": return open && waiting;
      case "team": return open && place.team === rowsQueue.team;
      case "pending": return place.status === "pending";
      case "breaching": return open ? null : false;
      default: return null;  // all tickets, spam: whether it is spam is not in the news
    }
  }

  function placements(event) {
    const now = {
      team: event.team === undefined ? null : event.team,
      assignee: event.assignee === undefined ? null : event.assignee,
      status: event.status,
    };
    const before = {
      team: "from_team" in event ? event.from_team : now.team,
      assignee: "from_assignee" in event ? event.from_assignee : now.assignee,
      status: "from_status" in event ? event.from_status : now.status,
    };
    return { now: now, before: before };
  }

  // Whether a ticket not shown sorts past the last row of a page that more pages follow (in
  // a queue sorted by age, from when it was created): a later page's, not this one's.
  function pastShownRows(event) {
    const sign = AGE_SORTS[rowsQueue.sort];
    const shown = rows.querySelectorAll("tr.queue-row");
    if (!sign || typeof event.created !== "number" || !shown.length
        || !document.getElementById("more-row")) return false;
    return sortsBefore(keyOf(shown[shown.length - 1]), [sign * event.created, sign * event.ticket]);
  }

  // A ticket changed: take its row out, ask for it, or ignore it. Filters only narrow a
  // queue, so a ticket out of the queue is out of a filtered page too; whether it is in is
  // the view's to say.
  function ticketChanged(event) {
    const id = event.ticket;
    const shown = !!shownRow(id);
    const where = placements(event);
    const now = inQueue(where.now);
    if (now === false) {
      if (shown) removeRow(id);
    } else if (shown || MOVING_SORTS[rowsQueue.sort]) {
      refreshRows(new Set([id]));
    } else if (!pastShownRows(event) && (event.type === "ticket.created" || rowsQueue.filtered
        || now === null || inQueue(where.before) !== true)) {
      refreshRows(new Set([id]));  // it may have come into the rows shown
    }
    // Else it was and stays in the queue, out of sight: its place did not change.
  }

  function clocksChanged(event) {
    const ids = event.tickets || [event.ticket];
    const every = rowsQueue.queue === "breaching" || rowsQueue.filtered;
    const affected = ids.filter(function (id) { return every || shownRow(id); });
    if (affected.length) refreshRows(affected.length > MAX_ROWS ? ALL : new Set(affected));
  }

  // --- the navigation's counts and a ticket page's regions ------------------------------------

  // The page loaded its counts just now. Pages of one desk hear the same changes: each waits
  // a spacing of its own, so their counts requests do not all come at once.
  const counts = document.querySelector("[data-live-counts]");
  const refreshCounts = counts ? refresher(function () {
    return swapped(window.htmx && window.htmx.ajax("GET", counts.getAttribute("hx-get"), {
      source: counts, target: counts, swap: "none",
    }));
  }, function () { return COUNTS_EVERY * (0.5 + Math.random()); }, Date.now()) : function () {};

  const ticketRegions = Array.prototype.map.call(
    document.querySelectorAll("[data-live-ticket]"),
    function (region) {
      return refresher(function () {
        return fragment(region.dataset.liveTicket, region.id).then(function (html) {
          region.innerHTML = html;
          if (window.htmx) window.htmx.process(region);
        });
      }, noSpacing);
    }
  );

  function refreshTicket() {
    ticketRegions.forEach(function (refresh) { refresh(ALL); });
  }

  // A clock in a region reached the end (or start) of business hours (ticking.js): the
  // region is read afresh, since only the server knows how its business time counts on.
  body.addEventListener("clocks-stale", function (event) {
    const region = event.target.closest && event.target.closest("[data-live-ticket]");
    const index = Array.prototype.indexOf.call(
      document.querySelectorAll("[data-live-ticket]"), region);
    if (index >= 0) ticketRegions[index](ALL);
  });

  function refreshEverything() {
    refreshRows(ALL);
    refreshCounts(ALL);
    refreshTicket();
  }

  // --- events -------------------------------------------------------------------------------

  function handle(event) {
    if (event.type === "live.resync") {
      // Whatever the regions show is read afresh: the page stands where the desk stands now.
      if (typeof event.seq === "number") lastSeq = Math.max(lastSeq, event.seq);
      refreshEverything();
      fire("ticket-changed", { reconnect: true });
      return;
    }
    if (typeof event.seq === "number") {
      if (seen.has(event.seq)) return;
      seen.add(event.seq);
      if (seen.size > 2000) seen.clear();
      lastSeq = Math.max(lastSeq, event.seq);
    }
    if (CHANGES[event.type]) {
      const sla = event.type.indexOf("sla.") === 0;
      if (rows) {
        if (sla) clocksChanged(event);
        else if (typeof event.ticket === "number") ticketChanged(event);
      }
      // Counts change when a ticket arrives, moves or its clocks do, not with every reply.
      if (event.type !== "ticket.replied" && event.type !== "ticket.changed"
          || "from_team" in event || "from_assignee" in event || "from_status" in event) {
        refreshCounts(ALL);
      }
      if (watched !== null && (event.ticket === watched
          || (event.tickets && event.tickets.indexOf(watched) >= 0))) {
        refreshTicket();
      }
      fire("ticket-changed", event);
    }
    if (event.type === "agent.status_changed") fire("agents-changed", event);
    fire("live-event", event);
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + url);
    socket.onopen = function () {
      delay = 500;
      say(body.dataset.liveOnline || "Live");  // in words, not only a colour
      if (watched !== null) send({ type: "ticket.watch", ticket: watched });
      if (queue !== null) send(queue);
      // Whatever happened since the page was rendered or the last event it heard.
      send({ type: "catch_up", since: lastSeq });
    };
    socket.onmessage = function (message) {
      handle(JSON.parse(message.data));
    };
    socket.onclose = function (closed) {
      if (closed.code === 4403 || closed.code === 4404) return;  // not allowed: do not retry
      say(body.dataset.liveOffline || "Reconnecting…", true);
      setTimeout(connect, delay + Math.random() * 250);
      delay = Math.min(delay * 2, 15000);  // back off, up to 15 s between tries
    };
  }
  window.helpdeskLive = {
    lastSeq: function () { return lastSeq; },
    send: send,
    watched: watched,
  };
  connect();
})();
