// One WebSocket per page: turns server events into DOM events that live regions listen to.
// Events carry ids only; a region re-fetches itself through the ordinary views (htmx).
// After a disconnect the page reconnects with back-off and asks for the events it missed
// (by their per-tenant sequence number); if the server no longer has them, every live
// region refreshes once. A ticket page also says which ticket it shows, for the ticket's
// own events and, for agents, who else is viewing or typing; a queue page says which queue.
(function () {
  "use strict";
  const body = document.body;
  const url = body && body.dataset.liveUrl;
  if (!url) return;
  const status = document.getElementById("live-status");
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
    "sla.warned": 1, "sla.breached": 1,
  };
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

  function handle(event) {
    if (typeof event.seq === "number") {
      if (seen.has(event.seq)) return;
      seen.add(event.seq);
      if (seen.size > 2000) seen.clear();
      lastSeq = Math.max(lastSeq, event.seq);
    }
    if (event.type === "live.resync") {
      fire("ticket-changed", { reconnect: true });
      return;
    }
    if (CHANGES[event.type]) fire("ticket-changed", event);
    if (event.type === "agent.status_changed") fire("agents-changed", event);
    fire("live-event", event);
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + url);
    socket.onopen = function () {
      delay = 500;
      say("");
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
