// Exam page enhancements. The form works without this file (the "Save answers" and
// "Submit for grading" buttons post it, the question links are plain anchors); with
// it, each answer is saved on the server the moment it is chosen, the sticky bar's
// count, question marks and countdown stay current, and submitting with questions
// left unanswered asks first, in the page (a <dialog>, not the browser's confirm()).
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
  // The questions whose answer the server has not saved yet: each save sends only
  // those (the server keeps the others as saved). A save that fails puts its
  // questions back, so the next one sends them again.
  const unsaved = new Set();

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

  // The positions (numbers) of the questions with no choice ticked, in order.
  function unanswered() {
    const left = [];
    form.querySelectorAll("fieldset.question").forEach(function (fieldset) {
      if (!fieldset.querySelector("input[type=radio]:checked")) {
        left.push(fieldset.id.replace("question-", ""));
      }
    });
    return left;
  }

  function markNavigator() {
    const left = new Set(unanswered());
    document.querySelectorAll("[data-nav-question]").forEach(function (link) {
      const done = !left.has(link.dataset.navQuestion);
      link.classList.toggle("is-answered", done);
      const state = link.querySelector("[data-nav-state]");
      if (state) {
        state.textContent = done ? ", answered" : ", not answered";
      }
    });
  }

  // Choosing a question in the navigator closes it, so the question is in view.
  const navigator = document.querySelector("[data-exam-nav]");
  if (navigator) {
    navigator.addEventListener("click", function (event) {
      if (event.target.closest("a")) {
        navigator.open = false;
      }
    });
  }

  function save() {
    if (saving) {
      pending = true;
      return;
    }
    const sent = Array.from(unsaved);
    unsaved.clear();
    // URL-encoded, the lightest body for the server to read.
    const body = new URLSearchParams();
    body.append("csrfmiddlewaretoken", form.elements.csrfmiddlewaretoken.value);
    sent.forEach(function (name) {
      const checked = form.querySelector("input[type=radio][name='" + name + "']:checked");
      if (checked) {
        body.append(name, checked.value);
      }
    });
    function keep() {
      sent.forEach(function (name) {
        unsaved.add(name);
      });
    }
    say("Saving your answer…");
    saving = fetch(form.dataset.autosaveUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (response.status === 204) {
          const now = new Date();
          say("Answers saved at " + clock(now) + ".");
          return;
        }
        keep();
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
        keep();
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

  // Answers chosen before this script ran (a slow connection) count and are marked;
  // "Save answers" or the next choice saves them.
  form.querySelectorAll("input[type=radio]").forEach(function (input) {
    if (input.checked !== input.defaultChecked) {
      unsaved.add(input.name);
    }
  });
  if (answeredCount) {
    answeredCount.textContent = String(answered());
  }
  markNavigator();

  form.addEventListener("change", function (event) {
    if (event.target.matches("input[type=radio]")) {
      if (answeredCount) {
        answeredCount.textContent = String(answered());
      }
      markNavigator();
      unsaved.add(event.target.name);
      save();
    }
  });

  // Submitting with questions left: the page asks, in a dialog that lists them.
  const dialog = document.querySelector("[data-unanswered-dialog]");
  let confirmedSubmit = false;
  let pendingSubmitter = null;
  form.addEventListener("submit", function (event) {
    const submitter = event.submitter;
    if (!submitter || submitter.value !== "submit" || confirmedSubmit) {
      return;
    }
    const left = unanswered();
    if (left.length === 0 || !dialog || typeof dialog.showModal !== "function") {
      return;
    }
    event.preventDefault();
    pendingSubmitter = submitter;
    dialog.querySelector("[data-unanswered-text]").textContent =
      (left.length === 1 ? "1 question is" : left.length + " questions are") +
      " not answered yet. An unanswered question counts as wrong.";
    const list = dialog.querySelector("[data-unanswered-list]");
    list.textContent = "";
    left.forEach(function (position, index) {
      const link = document.createElement("a");
      link.href = "#question-" + position;
      link.textContent = position;
      link.addEventListener("click", function () {
        dialog.close();
      });
      list.append(index ? ", " : "", link);
    });
    dialog.querySelector("[data-dialog-review]").textContent = "Go to question " + left[0];
    dialog.showModal();
  });
  if (dialog) {
    dialog.querySelector("[data-dialog-review]").addEventListener("click", function () {
      dialog.close();
      const first = unanswered()[0];
      const target = first && document.getElementById("question-" + first);
      if (target) {
        target.scrollIntoView();
        const input = target.querySelector("input[type=radio]");
        if (input) {
          input.focus({ preventScroll: true });
        }
      }
    });
    dialog.querySelector("[data-dialog-submit]").addEventListener("click", function () {
      confirmedSubmit = true;
      dialog.close();
      form.requestSubmit(pendingSubmitter);
    });
  }

  // Time limit: the server enforces it; this only shows how long is left.
  const deadlineBox = document.querySelector("[data-deadline]");
  const countdown = deadlineBox && document.querySelector("[data-countdown]");
  if (countdown) {
    const deadline = Date.parse(deadlineBox.dataset.deadline);
    const announced = new Set();
    const tick = function () {
      const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      const minutes = Math.floor(left / 60);
      const seconds = left % 60;
      countdown.textContent =
        left > 0
          ? "Time left " + minutes + ":" + String(seconds).padStart(2, "0")
          : "Time is up: submit now";
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
