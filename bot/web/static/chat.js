// Runs in the chat at / and /embed (bot/web/chat_ui.py) and mends, for keyboard and screen-reader
// users, what Gradio's chat does not do by itself:
// - the example questions (our own list of buttons in the empty chat) are asked when pressed;
// - while a reply is being produced the conversation (a live region) is marked aria-busy, and when
//   it is done focus returns to the question box if it was lost on the way (Gradio disables the
//   box while answering, and a pressed suggestion disappears with the reply it belonged to);
// - Gradio labels every message with its raw Markdown ("bot's message: [[1]](/source/..."); those
//   labels are dropped, so each message is read as shown, after who said it (chat.css);
// - a link to a source is named by its title ("Source 1: <question> (opens in a new tab)"), as
//   Gradio's sanitiser keeps titles but drops aria-label;
// - the question box is named by its own (visually hidden) label alone: Gradio's <label> also
//   holds the Send button, whose text would otherwise join the name ("Your question Send");
// - when a message is added, the conversation scrolls so that the visitor's last question is at
//   its top, with the answer below it (Gradio's own scrolling, turned off in chat_ui.py, keeps the
//   newest line in view, which scrolls the question of a long answer away: in the widget's small
//   panel, always). Only then, and only until the visitor scrolls, clicks or touches.
(function () {
  "use strict";
  var INPUT = "#faqbot-input textarea";
  var wasBusy = false;
  var messagesShown = 0;

  function one(selector) { return document.querySelector(selector); }

  function busy() {
    var box = one(INPUT);
    var tracker = one("#faqbot-chat [data-testid=status-tracker]");
    return !!(box && box.disabled) || !!(tracker && !tracker.classList.contains("hide"));
  }

  function focusWasLost() {
    var active = document.activeElement;
    return !active || active === document.body || active === document.documentElement ||
      !!(active.closest && active.closest("#faqbot-input"));
  }

  // For a moment after a message is added (its text is laid out in steps), unless the visitor
  // scrolls, clicks or touches first.
  var PIN_MS = 2000;
  var pinnedUntil = 0;
  var pinnedTop = null;  // where this script last scrolled to: any other scroll is the visitor's

  function keepQuestionInView() {
    var messages = document.querySelectorAll("#faqbot-chat [data-testid=user], #faqbot-chat [data-testid=bot]");
    if (messages.length > messagesShown) pinnedUntil = Date.now() + PIN_MS;
    messagesShown = messages.length;
    var log = one("#faqbot-chat [role=log]");
    var questions = document.querySelectorAll("#faqbot-chat .message-row.user-row");
    if (log && !log.faqbotWatched) {
      log.faqbotWatched = true;
      log.addEventListener("scroll", function () {
        if (pinnedTop !== null && Math.abs(log.scrollTop - pinnedTop) > 2) unpin();
      }, { passive: true });
    }
    if (Date.now() > pinnedUntil || !log || !questions.length) return;
    var question = questions[questions.length - 1];
    // Below the chat's own buttons (clear, copy), which float over the top of the conversation.
    var top = log.getBoundingClientRect().top;
    var toolbar = one("#faqbot-chat .top-panel");
    if (toolbar && toolbar.offsetParent) top = Math.max(top, toolbar.getBoundingClientRect().bottom);
    // Scrolling past the end is not possible: a short answer simply ends at the bottom.
    var offset = question.getBoundingClientRect().top - top - 8;
    if (Math.abs(offset) > 1) log.scrollTop += offset;
    pinnedTop = log.scrollTop;
  }

  function update() {
    keepQuestionInView();
    var labelled = document.querySelectorAll("#faqbot-chat [data-testid=user][aria-label], #faqbot-chat [data-testid=bot][aria-label]");
    for (var i = 0; i < labelled.length; i++) labelled[i].removeAttribute("aria-label");
    var links = document.querySelectorAll('#faqbot-chat a[href*="/source/"][title]:not([aria-label])');
    for (var j = 0; j < links.length; j++) links[j].setAttribute("aria-label", links[j].getAttribute("title"));
    var box = one(INPUT + ":not([aria-label])");
    var label = one("#faqbot-input [data-testid=block-info]");
    if (box && label) box.setAttribute("aria-label", label.textContent.trim());
    var log = one("#faqbot-chat [role=log]");
    var now = busy();
    if (now && log) log.setAttribute("aria-busy", "true");
    if (wasBusy && !now) {
      // In the widget's iframe, only while the chat has focus: never pull it from the host page.
      var input = one(INPUT);
      if (input && !input.disabled && focusWasLost() && (window.parent === window || document.hasFocus())) input.focus();
      // The region stops being busy just after focus has moved: a screen reader then says where
      // focus is first, and reads the answer after it instead of being cut off by the move.
      setTimeout(function () { if (log && !busy()) log.removeAttribute("aria-busy"); }, 100);
    }
    wasBusy = now;
  }

  function ask(question) {
    var box = one(INPUT);
    var send = one("#faqbot-input button.submit-button");
    if (!box || box.disabled || !send) return;
    box.value = question;
    box.dispatchEvent(new Event("input", { bubbles: true }));
    send.click();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("#faqbot-chat button.example[value]");
    if (button) {
      event.preventDefault();
      ask(button.value);
    }
  });
  function unpin() { pinnedUntil = 0; pinnedTop = null; }
  ["wheel", "touchstart", "pointerdown"].forEach(function (type) {
    document.addEventListener(type, unpin, { passive: true, capture: true });
  });
  new MutationObserver(update).observe(document.documentElement, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["disabled", "class", "aria-label"],
  });
})();
