/* Oh My Queue: the Redis console (/demo/redis).
 *
 * A visitor's own terminal on their sandbox (or, after QUEUE, a read-only
 * window on the real queue), and the presenter's console mirrored live.
 * The presenter's own terminal shows that same mirrored transcript, so what
 * the projector shows is what every follower sees. One ES module per view:
 * connection (the socket), screen, terminal, mirror, examples.
 */

import { Connection } from "./connection.js";
import { Examples } from "./examples.js";
import { Mirror } from "./mirror.js";
import { Terminal } from "./terminal.js";

var root = document.getElementById("demo");
var presenter = root.dataset.presenter === "true";
var embedded = document.body.classList.contains("embed");
var status = document.querySelector(".live-status");

var examples = null;
var mirror = new Mirror(document.getElementById("mirror"), document.getElementById("tab-presenter"));
var terminal = null;

var con = new Connection({
  status: function (state, text) {
    if (!status) return;
    status.dataset.state = state;
    status.textContent = text;
  },
  reset: function () {
    if (presenter) terminal.screen.clear();
    else mirror.reset();
  },
  entry: function (entry, pushed) {
    if (presenter) terminal.entry(entry);
    else mirror.entry(entry, pushed);
  }
});

terminal = new Terminal(con, {
  mode: root.dataset.mode,
  presenter: presenter,
  answered: function (answer) { examples.show(answer.examples); }
});
examples = new Examples(document.getElementById("examples"), function (command) { terminal.submit(command); });

function select(tab) {
  document.querySelectorAll('.views [role="tab"]').forEach(function (other) {
    var on = other === tab;
    other.setAttribute("aria-selected", on ? "true" : "false");
    document.getElementById(other.getAttribute("aria-controls")).hidden = !on;
    if (on) other.classList.remove("unread");
  });
}

document.querySelectorAll('.views [role="tab"]').forEach(function (tab) {
  tab.addEventListener("click", function () { select(tab); });
});

terminal.bind();
examples.show((root.dataset.examples || "").split("|").filter(Boolean));
if (!presenter) {
  terminal.note(root.dataset.sandbox === "true"
    ? "Your own Redis: type a command, or tap one below. TUTORIAL walks you through the exercise; HELP lists " +
      "every command. Nobody else sees your keys."
    : "The sandbox is not running on this server (start the demo with 'python -m demo serve').");
  // In the deck, followers watch the presenter's console; the other tab is theirs to try.
  if (embedded) select(document.getElementById("tab-presenter"));
}
con.bind();
