/* Email: enqueue the welcome email, show the mailbox live (parts as text). */
(function () {
  "use strict";
  var h = OMQ.h;
  var form = document.getElementById("form");
  var message = document.getElementById("message");
  var mailbox = document.getElementById("mailbox");
  var shown = {};
  var sent = new OMQ.JobList(document.getElementById("sent"), { max: 5 });

  function time(ts) {
    return new Date(ts * 1000).toLocaleTimeString();
  }

  function mailItem(mail, open) {
    var body = h("div", {});
    var details = h("details", { class: "mail", "data-mail": mail.id },
      h("summary", {},
        h("span", { class: "subject", text: mail.subject || "(no subject)" }),
        h("span", { class: "muted", text: (mail.from || "") + " → " + (mail.rcpt_tos || []).join(", ") }),
        h("span", { class: "muted", text: time(mail.received) })),
      body);
    var loaded = false;
    function parts(full) {
      if (full.text != null) body.appendChild(h("div", {}, h("h2", { text: "Text part" }), h("pre", { class: "part-text", text: full.text })));
      if (full.html != null) body.appendChild(h("div", {}, h("h2", { text: "HTML part (its source, as text)" }), h("pre", { class: "part-html", text: full.html })));
    }
    function load() {
      if (loaded) return;
      loaded = true;
      if ("text" in mail || "html" in mail) return parts(mail);
      OMQ.get("/demo/mail/messages/" + encodeURIComponent(mail.id)).then(function (r) {
        if (r.ok) parts(r.data); else body.textContent = r.data.error;
      });
    }
    details.addEventListener("toggle", function () { if (details.open) load(); });
    if (open) { details.open = true; load(); }
    return h("li", {}, details);
  }

  function add(mail, open) {
    if (shown[mail.id]) return;
    shown[mail.id] = true;
    mailbox.insertBefore(mailItem(mail, open), mailbox.firstChild);
    while (mailbox.children.length > 50) mailbox.removeChild(mailbox.lastChild);
  }

  function reload() {
    return OMQ.get("/demo/mail/messages").then(function (r) {
      if (!r.ok) return;
      r.data.mails.slice().reverse().forEach(function (mail, i, all) { add(mail, i === all.length - 1 && !mailbox.querySelector("details[open]")); });
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    OMQ.say(message, "");
    var name = document.getElementById("name").value;
    var to = document.getElementById("to").value;
    OMQ.post("/demo/mail", { name: name, to: to }).then(function (r) {
      if (!r.ok) return OMQ.say(message, r.data.error);
      sent.add(r.data.job, "welcome email to " + to, { nick: r.data.nick });
    });
  });

  OMQ.live({
    connect: function () { reload(); sent.restore("mail"); },
    event: function (e) {
      sent.event(e);
      if (e.type === "mail" && e.mail && !shown[e.mail]) {
        OMQ.get("/demo/mail/messages/" + encodeURIComponent(e.mail)).then(function (r) {
          if (r.ok) add(r.data, true);
        });
      }
    }
  });
})();
