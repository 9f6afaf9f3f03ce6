/* Tap-to-run: the commands the server suggests (a tutorial step's, or the mode's). */

export function Examples(box, run) {
  this.box = box;
  this.run = run;
}

Examples.prototype.show = function (commands) {
  var self = this;
  while (this.box.firstChild) this.box.removeChild(this.box.firstChild);
  (commands || []).forEach(function (command) {
    var chip = document.createElement("button");
    chip.type = "button";
    chip.className = "chip";
    chip.textContent = command;
    chip.addEventListener("click", function () { self.run(command); });
    self.box.appendChild(chip);
  });
};
