/* The in-page confirm: a <dialog> with the question and two buttons, never
 * window.confirm() (it freezes a projected page and looks like the browser's,
 * not ours). Resolves true when the presenter confirms. */

import { el } from "./util.js";

export function confirmInPage(question, yes) {
  return new Promise(function (resolve) {
    var dialog = el("dialog", "confirm");
    dialog.setAttribute("aria-label", question);
    var cancel = el("button", null, "Cancel");
    var ok = el("button", "danger", yes || "OK");
    cancel.type = ok.type = "button";
    var row = el("div", "row");
    row.append(cancel, ok);
    dialog.append(el("p", null, question), row);
    document.body.append(dialog);
    var answered = false;
    function answer(value) {
      if (answered) return;
      answered = true;
      dialog.close();
      dialog.remove();
      resolve(value);
    }
    cancel.addEventListener("click", function () { answer(false); });
    ok.addEventListener("click", function () { answer(true); });
    dialog.addEventListener("cancel", function (event) { event.preventDefault(); answer(false); }); // Esc
    dialog.showModal();
    cancel.focus(); // the safe answer is the default one
  });
}
