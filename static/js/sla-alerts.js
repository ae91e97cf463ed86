// SLA notices in the workspace: when a ticket's SLA warning or breach is told to this agent
// (its owner, its team's lead, its team's agents online, else the desk's admins), a notice
// shows on whatever page they have open, with a link to the ticket, until they close it.
// live.js delivers the event (`sla.alerted`, sent to this person's own group); this only shows it.
(function () {
  "use strict";
  const toasts = document.getElementById("sla-toasts");
  if (!toasts) return;
  // One notice per ticket for its warnings, one for its breaches (several clocks may breach
  // at once), however often they are heard.
  const shown = new Set();

  function show(event) {
    const key = event.ticket + ":" + event.what;
    if (shown.has(key)) return;
    shown.add(key);
    const breached = event.what === "breached";
    const toast = document.createElement("div");
    toast.className = "sla-toast " + (breached ? "sla-toast-breached" : "sla-toast-warned");
    toast.setAttribute("role", "alert");
    toast.dataset.ticket = event.ticket;
    const text = (breached ? toasts.dataset.breached : toasts.dataset.warned) || "";
    const link = document.createElement("a");
    link.href = "/workspace/tickets/" + event.number + "/";
    link.textContent = event.reference || ("#" + event.number);
    const parts = text.split("{reference}");
    toast.append(parts[0], link, parts.slice(1).join(""));
    const close = document.createElement("button");
    close.type = "button";
    close.className = "link";
    close.textContent = "×";
    close.setAttribute("aria-label", toasts.dataset.close || "Close");
    close.addEventListener("click", function () { toast.remove(); });
    toast.append(" ", close);
    toasts.append(toast);
  }

  document.body.addEventListener("live-event", function (domEvent) {
    const event = domEvent.detail;
    if (event && event.type === "sla.alerted") show(event);
  });
})();
