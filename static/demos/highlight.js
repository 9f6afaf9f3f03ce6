/* Code highlighting: submit a snippet, show the job's tokens as text in spans. */
(function () {
  "use strict";
  var h = OMQ.h;
  var limit = parseInt(OMQ.root.dataset.limit, 10);
  var form = document.getElementById("form");
  var code = document.getElementById("code");
  var language = document.getElementById("language");
  var message = document.getElementById("message");
  var suggestions = document.getElementById("suggestions");
  var button = document.getElementById("submit");

  /** The job returns [[css class, text], ...]: each text goes in as text. */
  function render(job, detail, box) {
    var result = detail.result;
    box.appendChild(h("div", { class: "muted", text: result.summary || "" }));
    var codeEl = h("code");
    (result.tokens || []).forEach(function (token) {
      codeEl.appendChild(token[0] ? h("span", { class: token[0], text: token[1] }) : document.createTextNode(token[1]));
    });
    box.appendChild(h("pre", { class: "hl" }, codeEl));
  }

  var results = new OMQ.JobList(document.getElementById("results"), { result: render, max: 10 });

  function size() {
    var bytes = new TextEncoder().encode(code.value).length;
    var el = document.getElementById("size");
    el.textContent = bytes + " / " + limit + " bytes";
    el.style.color = bytes > limit ? "var(--accent)" : "";
  }

  function submit(event) {
    if (event) event.preventDefault();
    OMQ.say(message, "");
    OMQ.clear(suggestions);
    button.disabled = true;
    OMQ.post("/demo/highlight", { code: code.value, language: language.value }).then(function (r) {
      button.disabled = false;
      if (!r.ok) {
        OMQ.say(message, r.data.error);
        (r.data.suggestions || []).forEach(function (name) {
          suggestions.appendChild(h("button", { type: "button", text: name, on: { click: function () {
            language.value = name;
            submit();
          } } }));
        });
        return;
      }
      results.add(r.data.job, language.value + " snippet", { nick: r.data.nick });
    });
  }

  form.addEventListener("submit", submit);
  code.addEventListener("input", size);
  size();
  OMQ.live({
    connect: function () { results.restore("highlight"); },
    event: function (e) { results.event(e); }
  });
})();
