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

Mirror.prototype.entry = function (entry) {
  if (!this.screen) return;
  if (entry.clear) { this.reset(); return; }
  this.empty.hidden = true;
  this.screen.add({ prompt: entry.prompt || "", line: entry.line,
                    output: entry.output });
  if (this.tab && this.tab.getAttribute("aria-selected") !== "true") this.tab.classList.add("unread");
};
