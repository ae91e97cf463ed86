// The header's menu on narrow screens: one button opens and closes it. Without this script
// (or on a wide screen) the menu is simply shown in full.
(function () {
  "use strict";
  const button = document.querySelector(".topbar .menu-toggle");
  const menu = button && document.getElementById(button.getAttribute("aria-controls"));
  if (!menu) return;
  button.closest(".topbar").classList.add("collapsible");

  function show(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    menu.classList.toggle("open", open);
  }
  button.addEventListener("click", function () {
    show(button.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && menu.classList.contains("open")) {
      show(false);
      button.focus();
    }
  });
})();
