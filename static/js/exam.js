// Exam page enhancements. The form works without this file (the "Save answers" and
// "Submit for grading" buttons post it); with it, each answer is saved on the server
// the moment it is chosen, a time limit counts down, and submitting with questions
// left unanswered asks first.
(function () {
  "use strict";

  const form = document.querySelector("form[data-autosave-url]");
  if (!form) {
    return;
  }
  const status = form.querySelector("[data-autosave-status]");
  const answeredCount = document.querySelector("[data-answered-count]");
  const total = Number(form.dataset.questionCount);
  let saving = null; // the request in flight
  let pending = false; // another change arrived while saving

  // "2:31 PM EST": the server's format (core/formats), in the learner's time zone
  // as the server shows it (the deadline above), not the device's.
  function clock(moment) {
    const options = { hour: "numeric", minute: "2-digit" };
    if (form.dataset.timeZone) {
      options.timeZone = form.dataset.timeZone;
    }
    let text;
    try {
      text = moment.toLocaleTimeString("en-US", options);
    } catch (error) {
      delete options.timeZone;
      text = moment.toLocaleTimeString("en-US", options);
    }
    return text + (form.dataset.timeZoneLabel ? " " + form.dataset.timeZoneLabel : "");
  }

  function say(message) {
    if (status) {
      status.textContent = message;
    }
  }

  function answered() {
    const names = new Set();
    form.querySelectorAll("input[type=radio]:checked").forEach(function (input) {
      names.add(input.name);
    });
    return names.size;
  }

  function save() {
    if (saving) {
      pending = true;
      return;
    }
    say("Saving your answer…");
    saving = fetch(form.dataset.autosaveUrl, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (response.status === 204) {
          const now = new Date();
          say("Answers saved at " + clock(now) + ".");
          return;
        }
        return response
          .json()
          .catch(function () {
            return {};
          })
          .then(function (data) {
            say((data && data.error) || "Your answer could not be saved. Use “Save answers” below.");
          });
      })
      .catch(function () {
        say("You seem to be offline: your last answer is not saved yet. Use “Save answers” when you are back online.");
      })
      .finally(function () {
        saving = null;
        if (pending) {
          pending = false;
          save();
        }
      });
  }

  form.addEventListener("change", function (event) {
    if (event.target.matches("input[type=radio]")) {
      if (answeredCount) {
        answeredCount.textContent = String(answered());
      }
      save();
    }
  });

  form.addEventListener("submit", function (event) {
    const submitter = event.submitter;
    if (!submitter || submitter.value !== "submit") {
      return;
    }
    const left = total - answered();
    if (left > 0) {
      const question = left === 1 ? "1 question is" : left + " questions are";
      if (!window.confirm(question + " not answered yet. Submit for grading anyway?")) {
        event.preventDefault();
      }
    }
  });

  // Time limit: the server enforces it; this only shows how long is left.
  const deadlineBox = document.querySelector("[data-deadline]");
  const countdown = deadlineBox && deadlineBox.querySelector("[data-countdown]");
  if (countdown) {
    const deadline = Date.parse(deadlineBox.dataset.deadline);
    const announced = new Set();
    const tick = function () {
      const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      const minutes = Math.floor(left / 60);
      const seconds = left % 60;
      countdown.textContent =
        left > 0
          ? "Time left: " + minutes + ":" + String(seconds).padStart(2, "0") + "."
          : "Time is up: submit now to be graded on the answers saved in time.";
      [5, 1].forEach(function (mark) {
        if (minutes < mark && left > 0 && !announced.has(mark)) {
          announced.add(mark);
          say("Less than " + mark + " minute" + (mark > 1 ? "s" : "") + " left.");
        }
      });
      if (left === 0) {
        window.clearInterval(timer);
      }
    };
    const timer = window.setInterval(tick, 1000);
    tick();
  }
})();
