// The desk's chat widget, for customers' own websites. Embed it with
//   <script src="https://acme.example.com/static/js/chat-widget.js" data-desk="https://acme.example.com" async></script>
// It talks to wss://<desk>/ws/chat/ (integrations/chat/consumers.py): "start" opens a chat
// ticket, "message" adds a line, "resume" with the token kept in localStorage continues the
// same ticket after a reload. No framework, no build step; everything lives in a shadow root
// so the website's styles and ours never meet. The widget speaks the visitor's language: it
// names the browser's (`lang`), and the desk answers with its words in it (`ready.texts`),
// falling back to the desk's language; the English below shows only until then.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.helpdeskChatLoaded) return;
  window.helpdeskChatLoaded = true;

  var desk = (script.getAttribute("data-desk") || new URL(script.src).origin).replace(/\/+$/, "");
  var deskUrl = new URL(desk);
  var language = (navigator.languages && navigator.languages[0]) || navigator.language || "";
  var socketUrl = (deskUrl.protocol === "https:" ? "wss://" : "ws://") + deskUrl.host + "/ws/chat/" +
    (language ? "?lang=" + encodeURIComponent(language) : "");
  var cssUrl = new URL("../css/chat-widget.css", script.src).href;
  var storageKey = "helpdesk-chat:" + deskUrl.host;

  var socket = null;
  var everOpened = false;
  var failures = 0;
  var delay = 1000;
  var pinger = null;
  var ui = null;
  var texts = {};
  var state = { token: null, ticket: null, lastId: 0, shown: {}, started: false, pending: null, unread: 0 };

  function t(key, english) {
    return texts[key] || english;
  }

  // --- storage (a browser may refuse it; the chat then lasts as long as the page) ---------
  function load() {
    try { return JSON.parse(localStorage.getItem(storageKey) || "null"); } catch (e) { return null; }
  }
  function save(value) {
    try {
      if (value) localStorage.setItem(storageKey, JSON.stringify(value));
      else localStorage.removeItem(storageKey);
    } catch (e) { /* storage unavailable: nothing to keep */ }
  }

  // --- the socket --------------------------------------------------------------------------
  function connect() {
    socket = new WebSocket(socketUrl);
    socket.onopen = function () {
      everOpened = true;
      failures = 0;
      delay = 1000;
      clearInterval(pinger);
      pinger = setInterval(function () { send({ type: "ping" }); }, 25000);
    };
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      var handler = handlers[frame.type];
      if (handler) handler(frame);
    };
    socket.onclose = function () {
      clearInterval(pinger);
      socket = null;
      if (!everOpened) {
        // Refused (chat off, or not allowed on this website) or unreachable: try a few
        // times, then stay invisible.
        failures += 1;
        if (failures < 3) setTimeout(connect, delay *= 2);
        return;
      }
      if (ui) {
        say(ui.status, t("reconnecting", "Reconnecting…"));
        setBusy(false);
      }
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    };
  }

  function send(frame) {
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  var handlers = {
    ready: function (frame) {
      if (frame.texts) texts = frame.texts;
      if (!ui) build(frame);
      say(ui.status, frame.online ? "" : t("offline", "No agent is online right now; leave us a message."));
      var kept = load();
      if (kept && kept.token) {
        var resume = { type: "resume", token: kept.token };
        if (state.lastId) resume.after = state.lastId;  // a reconnect: only what was missed
        send(resume);
      } else {
        showStart();
      }
    },
    started: function (frame) {
      state.token = frame.token;
      state.ticket = frame.ticket;
      state.started = true;
      save({ token: frame.token });
      if (!frame.resumed) ui.startForm.reset();
      setBusy(false);
      showChat();
      say(ui.status, frame.resumed ? "" : t("number", "Your request number is %(ticket)s.").replace("%(ticket)s", frame.ticket));
      if (!ui.panel.hidden) ui.text.focus();
    },
    message: function (frame) {
      if (state.shown[frame.id]) return;
      state.shown[frame.id] = true;
      state.lastId = Math.max(state.lastId, frame.id);
      if (frame.author === "you" && state.pending !== null && frame.text === state.pending) {
        ui.text.value = "";  // taken by the desk although the confirmation was lost
        state.pending = null;
        setBusy(false);
      }
      addLine(frame);
      if (frame.author !== "you" && ui.panel.hidden) {
        state.unread += 1;
        updateLauncher();
      }
    },
    accepted: function () {
      state.pending = null;
      ui.text.value = "";
      setBusy(false);
      ui.text.focus();
    },
    offline: function (frame) {
      addNotice(frame.message);
    },
    error: function (frame) {
      setBusy(false);
      state.pending = null;
      if (frame.code === "bad_token") {
        save(null);
        state.token = null;
        state.started = false;
        showStart();
      }
      say(ui.alert, frame.message || t("error", "Something went wrong."));
    },
    pong: function () {}
  };

  // --- the interface -----------------------------------------------------------------------
  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      if (name === "text") node.textContent = attributes[name];
      else node.setAttribute(name, attributes[name]);
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  function field(id, label, control) {
    control.id = id;
    control.name = id.replace("hd-", "");
    return el("div", { "class": "hd-field" }, [el("label", { "for": id, text: label }), control]);
  }

  function build(ready) {
    var host = el("div", { "data-helpdesk-chat": "" });
    host.hidden = true;  // until our stylesheet has loaded: no flash of unstyled controls
    var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    var css = el("link", { rel: "stylesheet", href: cssUrl });
    css.onload = css.onerror = function () { host.hidden = false; };

    var launcher = el("button", { type: "button", "class": "hd-launcher", "aria-expanded": "false", "aria-controls": "hd-panel" });
    var close = el("button", { type: "button", "class": "hd-close", "aria-label": t("close", "Close chat"), text: "×" });
    var title = el("h2", { id: "hd-title", text: ready.desk || t("title", "Chat") });
    var greeting = el("p", { "class": "hd-greeting", text: ready.greeting || "" });
    var status = el("p", { "class": "hd-status", role: "status", "aria-live": "polite" });
    var alert = el("p", { "class": "hd-alert", role: "alert" });

    var name = el("input", { type: "text", autocomplete: "name", required: "", maxlength: "150" });
    var email = el("input", { type: "email", autocomplete: "email", required: "", maxlength: "254" });
    var first = el("textarea", { rows: "3", required: "", maxlength: String(ready.max_length || 4000) });
    var startButton = el("button", { type: "submit", "class": "hd-primary", text: t("start", "Start chat") });
    var startForm = el("form", { "class": "hd-start", novalidate: "" }, [
      field("hd-name", t("name", "Your name"), name),
      field("hd-email", t("email", "Your email address"), email),
      field("hd-first", t("first", "How can we help?"), first),
      startButton
    ]);

    var log = el("ol", { "class": "hd-log", role: "log", "aria-live": "polite", "aria-label": t("messages", "Messages"), tabindex: "0" });
    var text = el("textarea", { id: "hd-text", rows: "2", required: "", maxlength: String(ready.max_length || 4000) });
    var sendButton = el("button", { type: "submit", "class": "hd-primary", text: t("send", "Send") });
    var compose = el("form", { "class": "hd-compose" }, [
      el("label", { "for": "hd-text", "class": "hd-sr", text: t("message", "Your message") }), text, sendButton
    ]);
    var chat = el("div", { "class": "hd-chat", hidden: "" }, [log, compose]);

    var panel = el("section", { id: "hd-panel", "class": "hd-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "hd-title", hidden: "" }, [
      el("header", { "class": "hd-header" }, [title, close]),
      greeting, status, alert, startForm, chat
    ]);
    var wrapper = el("div", { "class": "hd-root" }, [launcher, panel]);
    if (ready.language) wrapper.setAttribute("lang", ready.language);
    if (ready.brand) wrapper.style.setProperty("--hd-brand", ready.brand);
    root.appendChild(css);
    root.appendChild(wrapper);
    document.body.appendChild(host);

    ui = { launcher: launcher, panel: panel, close: close, status: status, alert: alert, startForm: startForm,
           name: name, email: email, first: first, startButton: startButton, chat: chat, log: log,
           compose: compose, text: text, sendButton: sendButton };
    updateLauncher();

    launcher.addEventListener("click", function () { toggle(panel.hidden); });
    close.addEventListener("click", function () { toggle(false); });
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") toggle(false);
    });
    startForm.addEventListener("submit", function (event) {
      event.preventDefault();
      say(alert, "");
      var problem = !name.value.trim() ? [name, t("need_name", "Please enter your name.")]
        : !email.value.trim() || !email.checkValidity() ? [email, t("need_email", "Please enter a valid email address.")]
        : !first.value.trim() ? [first, t("need_message", "Please enter your message.")] : null;
      if (problem) {
        say(alert, problem[1]);
        problem[0].focus();
        return;
      }
      if (send({ type: "start", name: name.value.trim(), email: email.value.trim(), message: first.value })) {
        setBusy(true);
      } else {
        say(alert, t("retry", "The chat is reconnecting; please try again in a moment."));
      }
    });
    compose.addEventListener("submit", function (event) {
      event.preventDefault();
      say(alert, "");
      if (!text.value.trim() || state.pending !== null) return;
      state.pending = text.value;
      if (send({ type: "message", text: text.value, ref: String(Date.now()) })) {
        setBusy(true);
      } else {
        state.pending = null;
        say(alert, t("kept", "The chat is reconnecting; your message is kept here, please send it again soon."));
      }
    });
    text.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        compose.requestSubmit ? compose.requestSubmit() : sendButton.click();
      }
    });
  }

  function toggle(open) {
    ui.panel.hidden = !open;
    ui.launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      state.unread = 0;
      updateLauncher();
      var target = state.started ? ui.text : (ui.name.value ? ui.first : ui.name);
      target.focus();
      ui.log.scrollTop = ui.log.scrollHeight;
    } else {
      ui.launcher.focus();
    }
  }

  function updateLauncher() {
    var label = state.unread
      ? t("launcher_unread", "Chat with us (%(count)s new)").replace("%(count)s", state.unread)
      : t("launcher", "Chat with us");
    ui.launcher.textContent = label;
  }

  function showStart() {
    ui.startForm.hidden = false;
    ui.chat.hidden = true;
  }

  function showChat() {
    ui.startForm.hidden = true;
    ui.chat.hidden = false;
  }

  function setBusy(busy) {
    ui.startButton.disabled = busy;
    ui.sendButton.disabled = busy;
    ui.startButton.textContent = busy && !state.started ? t("starting", "Starting…") : t("start", "Start chat");
  }

  function say(node, text) {
    // Live regions stay in place (only their text changes), so screen readers announce it.
    node.textContent = text || "";
  }

  function addLine(frame) {
    var when = new Date(frame.at);
    var time = isNaN(when) ? "" : when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    var who = frame.author === "you" ? t("you", "You") : (frame.name || t("support", "Support"));
    var item = el("li", { "class": "hd-line hd-" + frame.author }, [
      el("span", { "class": "hd-meta" }, [
        el("span", { "class": "hd-who", text: who }),
        el("time", { datetime: frame.at || "", text: time })
      ]),
      el("span", { "class": "hd-sr", text: ": " }),
      el("span", { "class": "hd-text", text: frame.text || "" })
    ]);
    append(item);
  }

  function addNotice(text) {
    append(el("li", { "class": "hd-line hd-notice", text: text }));
  }

  function append(item) {
    var atBottom = ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 40;
    ui.log.appendChild(item);
    if (atBottom) ui.log.scrollTop = ui.log.scrollHeight;
  }

  if (document.body) connect();
  else document.addEventListener("DOMContentLoaded", connect);
})();
