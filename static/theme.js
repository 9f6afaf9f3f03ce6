/* The theme of the demo server's pages (static/theme.js), run in <head> so the
 * first paint already has it. The variables are the deck's (deck/theme.css).
 *
 * Which theme: ?theme= (the server writes it into <html data-theme>; the deck
 * passes its own to every widget frame), else the one last chosen on this
 * device (localStorage, shared with the deck when it is served here), else
 * light. Inside a deck, the deck's theme changes arrive as messages
 * {omq: "theme", theme} from the parent window. The top bar's button moves to
 * the next theme and remembers it. Pages that draw with colours (the charts)
 * listen for the "omq:theme" event on document.
 */
(function () {
  "use strict";
  var KEY = "omq-theme", THEMES = ["light", "dark", "contrast"];
  var root = document.documentElement;

  function stored() {
    try { return window.localStorage.getItem(KEY); } catch (err) { return null; }
  }
  function current() { return root.getAttribute("data-theme") || "light"; }
  function label() {
    var button = document.querySelector("[data-theme-toggle]");
    if (button) button.textContent = "Theme: " + current();
  }
  function apply(theme) {
    if (THEMES.indexOf(theme) < 0) return;
    root.setAttribute("data-theme", theme);
    label();
    document.dispatchEvent(new CustomEvent("omq:theme", { detail: theme }));
  }

  if (!root.hasAttribute("data-theme") && THEMES.indexOf(stored()) >= 0) root.setAttribute("data-theme", stored());

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.source !== window.parent || window.parent === window || !data || data.omq !== "theme") return;
    apply(data.theme);
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest || !event.target.closest("[data-theme-toggle]")) return;
    var next = THEMES[(THEMES.indexOf(current()) + 1) % THEMES.length];
    try { window.localStorage.setItem(KEY, next); } catch (err) { /* applied, not remembered */ }
    apply(next);
  });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", label);
  else label();

  window.OMQTheme = { current: current };
})();
