/* Failures and retries: attempts, countdowns to the next one, requeue. */
(function () {
  "use strict";
  var h = OMQ.h;
  var message = document.getElementById("message");

  /** The presenter's requeue button, on a job that ended in Failed. */
  function actions(job) {
    if (!OMQ.presenter || job.status !== "failed") return null;
    var button = h("button", { type: "button", class: "primary", text: "Requeue", "data-action": "requeue" });
    button.addEventListener("click", function () {
      button.disabled = true;
      OMQ.post("/api/jobs/" + encodeURIComponent(job.id) + "/requeue").then(function (r) {
        if (!r.ok) { button.disabled = false; OMQ.say(message, r.data.error); }
      });
    });
    return h("div", { class: "row" }, button);
  }

  var jobs = new OMQ.JobList(document.getElementById("jobs"), { log: true, actions: actions, max: 12 });

  document.getElementById("form").addEventListener("submit", function (event) {
    event.preventDefault();
    OMQ.say(message, "");
    var failTimes = parseInt(document.getElementById("fail-times").value, 10);
    OMQ.post("/demo/retries", { fail_times: failTimes }).then(function (r) {
      if (!r.ok) return OMQ.say(message, r.data.error);
      jobs.add(r.data.job, "fails " + failTimes + "×, " + r.data.retries + " retries after " +
               r.data.intervals.join(", ") + " s", { nick: r.data.nick });
    });
  });

  OMQ.live({
    connect: function () { jobs.restore("retries"); },
    event: function (e) { jobs.event(e); }
  });
})();
