// One WebSocket per page: turns server events into DOM events that live regions listen to.
// Events carry ids only; a region re-fetches itself through the ordinary views (htmx).
(function () {
  "use strict";
  const url = document.body && document.body.dataset.liveUrl;
  if (!url) return;
  const status = document.getElementById("live-status");
  let delay = 500;
  let lastSeq = null;
  let everConnected = false;

  function say(text, offline) {
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("offline", !!offline);
  }

  function fire(name, detail) {
    document.body.dispatchEvent(new CustomEvent(name, { detail: detail, bubbles: true }));
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + url);
    socket.onopen = function () {
      delay = 500;
      say("");
      // After a reconnect every live region refreshes once, so nothing stays stale.
      if (everConnected) fire("ticket-changed", { reconnect: true });
      everConnected = true;
    };
    socket.onmessage = function (message) {
      const event = JSON.parse(message.data);
      if (typeof event.seq === "number") lastSeq = event.seq;
      if (event.type && event.type.indexOf("ticket.") === 0) fire("ticket-changed", event);
      fire("live-event", event);
    };
    socket.onclose = function (closed) {
      if (closed.code === 4403 || closed.code === 4404) return;  // not allowed: do not retry
      say(document.body.dataset.liveOffline || "Reconnecting…", true);
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 15000);  // back off, up to 15 s between tries
    };
  }
  window.helpdeskLive = { lastSeq: function () { return lastSeq; } };
  connect();
})();
