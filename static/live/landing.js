/* The landing page (static/live/landing.js): where the talk is now, pushed on /deck.
 * The server sends the deck's state at once on connect and after every move;
 * the slide titles come with the page (data-titles, from the built deck.json). */
(function () {
  "use strict";
  var now = document.getElementById("now");
  if (!now) return;
  var titles = [];
  try { titles = JSON.parse(now.dataset.titles || "[]"); } catch (err) { /* numbers only */ }
  if (!titles.length || typeof io !== "function") return;

  function where(state) {
    var title = titles[state.h] || "";
    var slide = "slide " + (state.h + 1) + (title ? ": " + title : "");
    return state.seq > 0 ? "Now on " + slide : "The talk starts on " + slide;
  }

  var socket = io("/deck");
  socket.on("state", function (state) {
    if (state && typeof state.h === "number") {
      now.textContent = where(state);
      now.dataset.state = "live";
    }
  });
  socket.on("disconnect", function () {
    now.textContent = "Can't reach the talk's server right now; we'll keep trying.";
    now.dataset.state = "offline";
  });
})();
