// The agent workspace's conveniences: who else is on this ticket, typing notices,
// mention alerts and keyboard shortcuts. Everything works without it; it only adds speed.
(function () {
  "use strict";
  const body = document.body;
  const me = parseInt(body.dataset.user || "0", 10);

  // --- who else is viewing, who is typing ----------------------------------------------
  const presence = document.getElementById("ticket-presence");
  let viewers = [];
  const typing = new Map();  // user id -> {name, until}

  function render() {
    if (!presence) return;
    const now = Date.now();
    const others = viewers.filter(function (viewer) { return viewer.id !== me; });
    const parts = [];
    if (others.length) {
      parts.push(presence.dataset.viewing + " " + others.map(function (v) { return v.name; }).join(", "));
    }
    typing.forEach(function (entry, id) {
      if (entry.until > now && id !== me) parts.push(entry.name + " " + presence.dataset.typing);
    });
    presence.textContent = parts.join(" · ");
    presence.classList.toggle("active", parts.length > 0);
  }

  body.addEventListener("live-event", function (domEvent) {
    const event = domEvent.detail;
    const live = window.helpdeskLive;
    if (event.type === "ticket.viewers" && live && event.ticket === live.watched) {
      viewers = event.viewers || [];
      render();
    } else if (event.type === "ticket.typing" && live && event.ticket === live.watched) {
      typing.set(event.user, { name: event.name, until: Date.now() + 6000 });
      render();
      setTimeout(render, 6100);
    } else if (event.type === "ticket.mentioned") {
      const notice = document.getElementById("live-notice");
      if (notice) {
        notice.innerHTML = "";
        const link = document.createElement("a");
        link.href = "/workspace/tickets/" + event.number + "/";
        link.textContent = event.reference || String(event.number);
        notice.append(notice.dataset.mentioned + " ", link);
        notice.classList.add("shown");
      }
    }
  });

  const composer = document.querySelector(".composer textarea[name=text]");
  let lastTyping = 0;
  if (composer && window.helpdeskLive && window.helpdeskLive.watched !== null) {
    composer.addEventListener("input", function () {
      const now = Date.now();
      if (now - lastTyping < 3000) return;  // at most one notice every 3 s
      lastTyping = now;
      window.helpdeskLive.send({ type: "ticket.typing", ticket: window.helpdeskLive.watched });
    });
    composer.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        composer.form.requestSubmit();
      }
    });
  }

  // --- the filters' checklists: one open at a time, closed by a click elsewhere or Escape --
  const checklists = Array.from(document.querySelectorAll(".multi details"));
  function closeChecklists(except) {
    checklists.forEach(function (list) {
      if (list.open && !list.contains(except)) list.open = false;
    });
  }
  if (checklists.length) {
    document.addEventListener("click", function (event) { closeChecklists(event.target); });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") closeChecklists(null);
    });
  }

  // --- keyboard shortcuts -----------------------------------------------------------------
  function typingInField(target) {
    return target.closest("input, textarea, select, [contenteditable=true]") !== null;
  }
  let current = -1;
  let pendingG = false;
  function rows() { return Array.from(document.querySelectorAll("#queue-rows tr.queue-row")); }
  function focusRow(index) {
    const list = rows();
    if (!list.length) return;
    current = Math.max(0, Math.min(index, list.length - 1));
    list.forEach(function (row, i) { row.classList.toggle("selected", i === current); });
    const link = list[current].querySelector("a.row-link");
    if (link) link.focus();
  }
  function chooseKind(kind) {
    const radio = document.querySelector(".composer input[name=kind][value=" + kind + "]");
    if (radio) radio.checked = true;
    if (composer) composer.focus();
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typingInField(event.target)) return;
    const key = event.key;
    if (pendingG) {
      pendingG = false;
      if (key === "w") { location.href = "/workspace/"; event.preventDefault(); }
      return;
    }
    if (key === "j") { focusRow(current + 1); event.preventDefault(); }
    else if (key === "k") { focusRow(current - 1); event.preventDefault(); }
    else if (key === "x" && current >= 0) {
      const box = rows()[current] && rows()[current].querySelector("input[type=checkbox]");
      if (box) box.checked = !box.checked;
      event.preventDefault();
    } else if (key === "/") {
      const filters = document.querySelector("details.filters");
      if (filters) {
        filters.open = true;
        const search = filters.querySelector("input[name=q]");
        if (search) search.focus();
        event.preventDefault();
      } else {
        // Pages without a queue filter: "/" goes to the header's search box.
        const box = document.getElementById("header-search");
        if (box) { box.focus(); event.preventDefault(); }
      }
    } else if (key === "r") { chooseKind("public"); event.preventDefault(); }
    else if (key === "n") { chooseKind("note"); event.preventDefault(); }
    else if (key === "g") { pendingG = true; }
    else if (key === "?") {
      const help = document.getElementById("shortcuts");
      if (help) { help.open = !help.open; help.querySelector("summary").focus(); }
    }
  });
})();
