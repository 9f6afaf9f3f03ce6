/* The presenter's console as the audience sees it: read-only, live. */

import { Screen } from "./screen.js";

export function Mirror(section, tab) {
  this.section = section;
  this.tab = tab;
  this.screen = section ? new Screen(section.querySelector(".screen")) : null;
  this.empty = section ? section.querySelector(".mirror-note") : null;
}

Mirror.prototype.reset = function () {
  if (!this.screen) return;
  this.screen.clear();
  this.empty.hidden = false;
};

/** Show an entry; one pushed while the other tab is open flags this tab. */
Mirror.prototype.entry = function (entry, pushed) {
  if (!this.screen) return;
  if (entry.clear) { this.reset(); return; }
  this.empty.hidden = true;
  this.screen.add({ prompt: entry.prompt || "", line: entry.line,
                    output: entry.output });
  if (pushed && this.tab && this.tab.getAttribute("aria-selected") !== "true") this.tab.classList.add("unread");
};
