// New chats for the agents who could take them: the desk publishes `chat.started` to the
// chat's team (every agent, for a chat without a team); each open workspace page shows a
// toast with a link to the chat and plays a short tone, unless the agent muted it (kept in
// localStorage, per browser). The tone is made with WebAudio: no sound file to load.
(function () {
  "use strict";
  var script = document.currentScript;
  var words = script ? script.dataset : {};
  var MUTE_KEY = "helpdesk:chat-sound";
  var api = window.helpdeskChatAlerts = { played: 0, shown: 0 };
  var audio = null;

  function muted() {
    try { return localStorage.getItem(MUTE_KEY) === "off"; } catch (e) { return false; }
  }

  function setMuted(value) {
    try {
      if (value) localStorage.setItem(MUTE_KEY, "off");
      else localStorage.removeItem(MUTE_KEY);
    } catch (e) { /* storage refused: the choice lasts as long as the page */ }
  }

  function chime() {
    if (muted()) return;
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try {
      audio = audio || new Context();
      if (audio.state === "suspended") audio.resume();
      var now = audio.currentTime;
      [880, 1320].forEach(function (pitch, index) {
        var tone = audio.createOscillator();
        var volume = audio.createGain();
        tone.frequency.value = pitch;
        volume.gain.setValueAtTime(0.0001, now + index * 0.15);
        volume.gain.exponentialRampToValueAtTime(0.2, now + index * 0.15 + 0.02);
        volume.gain.exponentialRampToValueAtTime(0.0001, now + index * 0.15 + 0.14);
        tone.connect(volume).connect(audio.destination);
        tone.start(now + index * 0.15);
        tone.stop(now + index * 0.15 + 0.15);
      });
      api.played += 1;
    } catch (e) { /* no sound device, or the browser refuses: the toast still shows */ }
  }

  function stack() {
    var box = document.getElementById("chat-alerts");
    if (!box) {
      box = document.createElement("div");
      box.id = "chat-alerts";
      box.className = "chat-alerts";
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", words.region || "New chats");
      document.body.appendChild(box);
    }
    return box;
  }

  function muteLabel() {
    return muted() ? (words.unmute || "Sound on") : (words.mute || "Mute");
  }

  function toast(event) {
    var item = document.createElement("div");
    item.className = "chat-toast";
    item.setAttribute("role", "alert");
    var text = document.createElement("span");
    text.textContent = (words.newChat || "New chat from %(name)s:").replace("%(name)s", event.name || "?") + " ";
    var link = document.createElement("a");
    link.href = "/workspace/tickets/" + event.number + "/";
    link.textContent = event.reference || ("#" + event.number);
    var mute = document.createElement("button");
    mute.type = "button";
    mute.className = "link chat-mute";
    mute.textContent = muteLabel();
    mute.setAttribute("aria-pressed", String(muted()));
    mute.addEventListener("click", function () {
      setMuted(!muted());
      document.querySelectorAll(".chat-mute").forEach(function (button) {
        button.textContent = muteLabel();
        button.setAttribute("aria-pressed", String(muted()));
      });
    });
    var close = document.createElement("button");
    close.type = "button";
    close.className = "link";
    close.setAttribute("aria-label", words.close || "Dismiss");
    close.textContent = "×";
    close.addEventListener("click", function () { item.remove(); });
    item.append(text, link, " ", mute, " ", close);
    stack().appendChild(item);
    api.shown += 1;
  }

  document.addEventListener("live-event", function (domEvent) {
    var event = domEvent.detail;
    if (!event || event.type !== "chat.started") return;
    toast(event);
    chime();
  });
})();
