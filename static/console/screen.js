/* A screen of a console: each entry is the prompt, the line typed, and its
 * output blocks (reply, error, note, praise), all set with textContent. */

/** Most entries a screen keeps; older ones leave from the top. */
var KEEP = 200;

function el(tag, className, text) {
  var node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = String(text);
  return node;
}

export function Screen(list) {
  this.list = list;
}

Screen.prototype.clear = function () {
  while (this.list.firstChild) this.list.removeChild(this.list.firstChild);
};

/** Add an entry {prompt, line, output: [{kind, text}], pending}; returns its element. */
Screen.prototype.add = function (entry) {
  var item = el("li", "entry");
  if (entry.line != null) {
    var cmd = el("div", "cmd");
    cmd.appendChild(el("span", "ps", entry.prompt || ""));
    cmd.appendChild(document.createTextNode(" "));
    cmd.appendChild(el("span", "typed", entry.line));
    item.appendChild(cmd);
  }
  this.fill(item, entry.output || []);
  this.list.appendChild(item);
  while (this.list.children.length > KEEP) this.list.removeChild(this.list.firstChild);
  this.scroll();
  return item;
};

/** Put (or replace) the output blocks of an entry. */
Screen.prototype.fill = function (item, output) {
  Array.prototype.slice.call(item.querySelectorAll("pre.out")).forEach(function (old) { item.removeChild(old); });
  output.forEach(function (block) {
    var kind = ["reply", "error", "note", "praise"].indexOf(block.kind) >= 0 ? block.kind : "note";
    item.appendChild(el("pre", "out " + kind, block.text));
  });
  this.scroll();
};

Screen.prototype.scroll = function () {
  var box = this.list.parentElement;
  box.scrollTop = box.scrollHeight;
  this.list.scrollTop = this.list.scrollHeight;
};
