/* The audience's page: send a job from a phone, follow your own jobs. */
(function () {
  "use strict";
  var h = OMQ.h;
  var message = document.getElementById("message");

  function result(job, detail, box) {
    var value = detail.result;
    if (value && value.tokens) {
      var code = h("code");
      value.tokens.forEach(function (t) { code.appendChild(h("span", { class: t[0], text: t[1] })); });
      box.appendChild(h("div", { class: "muted", text: value.summary }));
      box.appendChild(h("pre", { class: "hl" }, code));
    } else {
      box.textContent = OMQ.summary(value);
    }
  }

  var mine = new OMQ.JobList(document.getElementById("mine"), { result: result, max: 20 });

  function tab(which) {
    ["wait", "code"].forEach(function (name) {
      document.getElementById("tab-" + name).setAttribute("aria-selected", String(name === which));
      document.getElementById(name + "-form").hidden = name !== which;
    });
  }
  document.getElementById("tab-wait").addEventListener("click", function () { tab("wait"); });
  document.getElementById("tab-code").addEventListener("click", function () { tab("code"); });

  function send(body, label, form) {
    OMQ.say(message, "");
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    OMQ.post("/demo/submit", body).then(function (r) {
      button.disabled = false;
      if (!r.ok) return OMQ.say(message, r.data.error);
      document.getElementById("nick").textContent = r.data.nick;
      mine.add(r.data.job, label, { nick: r.data.nick });
    });
  }

  document.getElementById("wait-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var seconds = document.getElementById("seconds").value;
    send({ kind: "wait", seconds: parseFloat(seconds) || seconds }, "wait " + seconds + " s", this);
  });
  document.getElementById("code-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var language = document.getElementById("language").value;
    send({ kind: "highlight", language: language, code: document.getElementById("code").value },
         "highlight " + language, this);
  });

  OMQ.live({
    connect: function () { mine.restore(); },
    event: function (e) { mine.event(e); }
  });
})();
