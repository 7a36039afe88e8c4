/*
 * faqbot chat widget. Paste one tag into any page:
 *   <script src="https://YOUR-BOT/widget.js" async
 *           data-title="Ask our FAQ" data-color="#1d4ed8" data-position="right"></script>
 * It adds a floating button that opens the bot's /embed chat in a panel, and turns into the
 * panel's close button while it is open; closed and reopened, the panel keeps its conversation.
 * Everything it draws lives in a shadow root, so the host page's styles and layout are untouched
 * either way.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__faqbotWidget) return;
  window.__faqbotWidget = true;

  var botOrigin = new URL(script.src, document.baseURI).origin;
  var title = script.getAttribute("data-title") || "Ask our FAQ";
  var color = script.getAttribute("data-color") || "#1d4ed8";
  if (!/^#[0-9a-fA-F]{3,8}$|^[a-zA-Z]+$/.test(color)) color = "#1d4ed8";
  var side = script.getAttribute("data-position") === "left" ? "left" : "right";

  var host = document.createElement("div");
  host.id = "faqbot-widget";
  // The host element itself takes no space in the page's layout.
  host.style.cssText = "position:fixed;width:0;height:0;bottom:0;" + side + ":0;z-index:2147483000;";
  var root = host.attachShadow({ mode: "open" });

  var style = document.createElement("style");
  style.textContent = [
    ":host { all: initial; }",
    ".button { position: fixed; bottom: 20px; " + side + ": 20px; width: 56px; height: 56px; border-radius: 50%;",
    "  border: none; background: " + color + "; color: #fff; cursor: pointer; box-shadow: 0 4px 14px rgba(0,0,0,.25);",
    "  display: flex; align-items: center; justify-content: center; }",
    ".button:focus-visible { outline: 3px solid #f59e0b; outline-offset: 3px; }",
    ".button svg { width: 28px; height: 28px; }",
    ".panel { position: fixed; bottom: 88px; " + side + ": 20px; width: 360px; height: 560px;",
    "  max-height: calc(100vh - 108px); background: #fff; border-radius: 12px; overflow: hidden;",
    "  box-shadow: 0 10px 40px rgba(0,0,0,.3); display: none; flex-direction: column;",
    "  font: 14px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; }",
    ".panel.open { display: flex; }",
    ".header { display: flex; align-items: center; justify-content: space-between; padding: 10px 12px;",
    "  background: " + color + "; color: #fff; font-weight: 600; }",
    ".close { background: transparent; border: none; color: #fff; font-size: 22px; line-height: 1; cursor: pointer;",
    "  padding: 2px 8px; border-radius: 6px; }",
    ".close:focus-visible { outline: 2px solid #fff; }",
    "iframe { border: 0; width: 100%; flex: 1; }",
    "@media (max-width: 480px) {",
    "  .panel { width: 100vw; height: 100vh; max-height: none; bottom: 0; " + side + ": 0; border-radius: 0; }",
    // Full screen, the open panel would sit under the floating button, which would then cover the
    // chat's input; the panel's own close button takes its place until the panel closes.
    "  .panel.open + .button { display: none; } }",
  ].join("\n");

  var button = document.createElement("button");
  button.className = "button";
  button.type = "button";
  button.setAttribute("aria-controls", "faqbot-panel");
  // The launcher opens the chat, and while it is open, closes it (its icon and name say which).
  var CHAT_ICON = '<svg viewBox="0 0 24 24" fill="currentColor" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg>';
  var CLOSE_ICON = '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.5" stroke-linecap="round" aria-hidden="true"><path d="M6 6l12 12M18 6L6 18"/></svg>';
  function showLauncher(isOpen) {
    button.innerHTML = isOpen ? CLOSE_ICON : CHAT_ICON;
    button.setAttribute("aria-label", isOpen ? "Close chat" : title);
    button.setAttribute("aria-expanded", isOpen ? "true" : "false");
  }
  showLauncher(false);

  var panel = document.createElement("div");
  panel.className = "panel";
  panel.id = "faqbot-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", title);

  var header = document.createElement("div");
  header.className = "header";
  var heading = document.createElement("span");
  heading.textContent = title;
  var close = document.createElement("button");
  close.className = "close";
  close.type = "button";
  close.setAttribute("aria-label", "Close chat");
  close.textContent = "\u00d7";
  header.appendChild(heading);
  header.appendChild(close);
  panel.appendChild(header);

  var frame = null;
  function open() {
    if (!frame) {  // loaded on first open, so a page that never opens the chat costs nothing
      frame = document.createElement("iframe");
      frame.src = botOrigin + "/embed/";
      frame.title = title;
      panel.appendChild(frame);
    }
    panel.classList.add("open");
    showLauncher(true);
    close.focus();
  }
  // Closing only hides the panel: the chat in it, and its conversation, are there when reopened.
  function hide() {
    panel.classList.remove("open");
    showLauncher(false);
    button.focus();
  }
  button.addEventListener("click", function () { panel.classList.contains("open") ? hide() : open(); });
  close.addEventListener("click", hide);
  root.addEventListener("keydown", function (event) { if (event.key === "Escape") hide(); });
  window.addEventListener("message", function (event) {
    if (event.origin === botOrigin && event.data && event.data.faqbot === "close" && panel.classList.contains("open")) hide();
  });

  root.appendChild(style);
  root.appendChild(panel);
  root.appendChild(button);
  (document.body || document.documentElement).appendChild(host);
})();
