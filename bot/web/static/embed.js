// Runs inside the /embed chat when it is framed by the widget: Escape closes the panel even
// while focus is inside the iframe (a keypress there never reaches the host page).
(function () {
  if (window.parent === window) return;
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") window.parent.postMessage({ faqbot: "close" }, "*");
  });
})();
