// The case play page, enhanced. Without this file every action is a plain form post
// (post, redirect, get) and the page works the same, a page load per action. With it:
// an action posts with fetch (Accept: application/json) and the monitor, the scene and
// the log are redrawn from the answer without a reload; an action with choices (energy,
// drug and dose, ratio...) opens them in place under its button; on a phone the action
// groups start folded and keyboard focus never hides under the sticky monitor; the
// strip sweeps at its own speed (one loop of the image per its seconds).
//
// The server is the referee: this file shows what the JSON says (the engine's view of
// the state and the new log lines), never works anything out about the case, and keeps
// no clock of its own (the case's time moves only with actions).
(function () {
  "use strict";

  const play = document.getElementById("case-play");
  if (!play || typeof window.fetch !== "function") {
    return;
  }
  const monitor = document.getElementById("case-monitor");
  const logBox = document.getElementById("case-log-scroll");
  const log = document.getElementById("case-log");
  const narrative = document.getElementById("case-narrative");
  const errorBox = document.getElementById("case-error");
  const ended = document.getElementById("case-ended");
  const actions = document.getElementById("case-actions");
  const stop = document.querySelector(".case-stop");
  const phone = window.matchMedia("(max-width: 59.99em)");

  // The monitor strips are 100 units wide per second (scripts/draw_ecg.py).
  const STRIP_UNITS_PER_SECOND = 100;
  // What the AED says, as the engine logs it (also cases/templatetags/case_monitor.py).
  const AED_PROMPT = /AED (?:analysed|says):\s*\u201c([^\u201d]+)\u201d/;
  const TEXT = {
    strip: "Monitor, lead II: the patient's rhythm",
    artifact: "Monitor, lead II: compression artifact",
    artifactMessage: "Compressions in progress: the rhythm cannot be read.",
    empty: "No rhythm to read on the monitor now.",
    off: "No pads or monitor attached: no rhythm to show.",
    offline:
      "The action could not be sent: check your connection and try again. " +
      "If the log did not change, nothing was done.",
  };

  let sending = false;
  let lastNarrative = narrative ? narrative.innerHTML : "";

  function byId(id) {
    return document.getElementById(id);
  }

  // 134 -> "2:14", as the server writes the case's clock.
  function clock(seconds) {
    const s = Math.max(0, Math.floor(Number(seconds) || 0));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  function setText(id, text) {
    const element = byId(id);
    if (element && element.textContent !== text) {
      element.textContent = text;
    }
    return element;
  }

  function hiddenText(text) {
    const span = document.createElement("span");
    span.className = "visually-hidden";
    span.textContent = text;
    return span;
  }

  function shownText(text, className) {
    const span = document.createElement("span");
    span.setAttribute("aria-hidden", "true");
    if (className) {
      span.className = className;
    }
    span.textContent = text;
    return span;
  }

  // --- The strip ------------------------------------------------------------------
  // One sweep of the two copies takes as long as the strip lasts.
  function timeSweep(img) {
    const trace = img.closest(".monitor-trace");
    const seconds = img.naturalWidth / STRIP_UNITS_PER_SECOND;
    if (trace && seconds > 0) {
      trace.style.setProperty("--sweep", seconds.toFixed(2) + "s");
    }
  }

  function watchSweep(img) {
    if (img.complete && img.naturalWidth) {
      timeSweep(img);
    } else {
      img.addEventListener("load", function () { timeSweep(img); }, { once: true });
    }
  }

  function traceImage(src, alt) {
    const img = document.createElement("img");
    img.src = src;
    img.alt = alt;
    img.width = 600;
    img.height = 160;
    return img;
  }

  function drawScreen(view, stripSrc) {
    const screen = byId("monitor-screen");
    if (!screen) {
      return;
    }
    const m = view.monitor || {};
    let kind = "off";
    let src = "";
    let alt = "";
    let message = TEXT.off;
    if (stripSrc) {
      kind = "strip";
      src = stripSrc;
      alt = TEXT.strip;
      message = "";
    } else if (m.artifact) {
      kind = "artifact";
      src = play.dataset.cprArtifact;
      alt = TEXT.artifact;
      message = TEXT.artifactMessage;
    } else if (m.attached) {
      kind = "empty";
      message = TEXT.empty;
    }
    screen.dataset.screen = kind;
    let trace = byId("monitor-trace");
    if (src) {
      if (!trace) {
        trace = document.createElement("div");
        trace.className = "monitor-trace";
        trace.id = "monitor-trace";
        trace.append(traceImage(src, alt), traceImage(src, ""));
        screen.prepend(trace);
        watchSweep(trace.firstElementChild);
      }
      const images = trace.querySelectorAll("img");
      if (images[0].getAttribute("src") !== src) {
        trace.style.removeProperty("--sweep");
        images.forEach(function (img) { img.src = src; });
        watchSweep(images[0]);
      }
      images[0].alt = alt;
    } else if (trace) {
      trace.remove();
    }
    setText("monitor-message", message);
  }

  // --- Vitals, clocks, status -------------------------------------------------------
  function drawVital(key, value) {
    const dd = byId("vital-" + key);
    if (!dd) {
      return;
    }
    const shown = value === null || value === undefined ? "" : String(value);
    if (dd.dataset.value === shown && dd.childNodes.length) {
      return;
    }
    dd.dataset.value = shown;
    dd.textContent = "";
    dd.classList.toggle("is-unmeasured", shown === "");
    if (shown === "") {
      dd.append(shownText("--"), hiddenText("not measured"));
    } else {
      dd.append(
        shown,
        shownText(dd.dataset.unit || "", "unit"),
        hiddenText(" " + (dd.dataset.spoken || ""))
      );
    }
  }

  // "30:2" -> its label, read from the page's own choices.
  function ratioLabel(ratio) {
    const input = Array.from(document.querySelectorAll('input[name="start_cpr.ratio"]')).find(
      function (candidate) { return candidate.value === ratio; }
    );
    const label = input && input.closest("label");
    return label ? label.textContent.trim() : ratio;
  }

  function latestAedPrompt() {
    const lines = log.querySelectorAll(".case-log-text");
    for (let i = lines.length - 1; i >= 0; i -= 1) {
      const found = AED_PROMPT.exec(lines[i].textContent);
      if (found) {
        return found[1];
      }
    }
    return "";
  }

  function drawMonitor(data) {
    const view = data.view;
    const caseClock = setText("case-clock", view.clock || clock(view.t));
    if (caseClock) {
      caseClock.setAttribute("datetime", "PT" + Math.floor(view.t || 0) + "S");
    }
    const cpr = view.compressions || {};
    const cprItem = byId("case-cpr");
    if (cprItem) {
      cprItem.dataset.on = cpr.on ? "true" : "false";
    }
    setText("case-cpr-label", cpr.on ? "CPR cycle" : "Compressions");
    let cycle = "off";
    if (cpr.on) {
      cycle = cpr.cycle_seconds === null || cpr.cycle_seconds === undefined ? "on" : clock(cpr.cycle_seconds);
    }
    setText("case-cycle", cycle);
    const epiItem = byId("case-epi-item");
    if (epiItem) {
      const since = view.epinephrine_seconds_ago;
      epiItem.hidden = since === null || since === undefined;
      setText("case-epi", epiItem.hidden ? "" : clock(since));
    }
    setText(
      "status-compressions",
      "Compressions " + (cpr.on ? "on" + (cpr.ratio ? ", " + ratioLabel(cpr.ratio) : "") : "off")
    );
    setText("status-access", "Access: " + (view.access ? String(view.access).toUpperCase() : "none"));
    setText("status-airway", "Advanced airway: " + (view.advanced_airway ? "in place" : "none"));
    if (view.toolkit === "acls") {
      drawScreen(view, data.strip_src);
      const m = view.monitor || {};
      ["hr", "bp", "spo2", "etco2", "rr"].forEach(function (key) { drawVital(key, m[key]); });
    } else {
      const pads = Boolean(view.aed && view.aed.pads);
      setText("aed-state", "AED: " + (pads ? "on, pads attached" : "not attached"));
      const prompt = latestAedPrompt();
      let words = pads ? "Follow the AED's prompts." : "No AED on the patient yet.";
      if (prompt) {
        words = "\u201c" + prompt + "\u201d";
      }
      setText("aed-prompt", words);
    }
  }

  // --- The log and the scene --------------------------------------------------------
  function lastSeq() {
    const last = log.lastElementChild;
    return last ? Number(last.dataset.seq) : -1;
  }

  function appendLog(lines) {
    let seen = lastSeq();
    (lines || []).forEach(function (line) {
      if (line.seq <= seen) {
        return;
      }
      seen = line.seq;
      const item = document.createElement("li");
      const kind = /^[a-z_-]+$/.test(line.kind || "") ? line.kind : "action";
      item.className = "case-log-line case-log-" + kind + " is-new";
      item.dataset.seq = String(line.seq);
      const time = document.createElement("time");
      time.className = "case-log-time";
      time.setAttribute("datetime", "PT" + Math.floor(line.t || 0) + "S");
      time.textContent = line.clock || clock(line.t);
      const text = document.createElement("span");
      text.className = "case-log-text";
      text.textContent = line.text;
      item.append(time, " ", text);
      log.append(item);
    });
    logBox.scrollTop = logBox.scrollHeight;
    drawLastLine();
  }

  // The monitor's copy of the log's latest line (shown on phones, where the log is out
  // of view while the learner acts; hidden from screen readers, who hear the log).
  function drawLastLine() {
    const holder = byId("monitor-last");
    const last = log.lastElementChild;
    if (!holder || !last) {
      return;
    }
    const time = document.createElement("span");
    time.className = "monitor-last-time";
    time.textContent = last.querySelector(".case-log-time").textContent;
    const text = document.createElement("span");
    text.className = "monitor-last-text";
    text.textContent = last.querySelector(".case-log-text").textContent;
    holder.replaceChildren(time, " ", text);
  }

  function render(data) {
    // The log first: the AED's screen reads its latest prompt from it.
    appendLog(data.log);
    if (narrative && typeof data.narrative_html === "string" && data.narrative_html !== lastNarrative) {
      // Sanitized on the server (courses.markdown), as the page's own copy is.
      narrative.innerHTML = data.narrative_html;
      lastNarrative = data.narrative_html;
    }
    drawMonitor(data);
    if (typeof data.expected_seq === "number") {
      play.dataset.expectedSeq = String(data.expected_seq);
      document.querySelectorAll('form.case-act input[name="expected_seq"]').forEach(function (input) {
        input.value = String(data.expected_seq);
      });
    }
  }

  function showError(message) {
    errorBox.textContent = message;
  }

  function finish(debriefUrl) {
    const link = byId("case-debrief-link");
    if (debriefUrl) {
      link.href = debriefUrl;
    }
    ended.hidden = false;
    actions.hidden = true;
    if (stop) {
      stop.hidden = true;
    }
    link.focus();
  }

  // --- Choices in place -------------------------------------------------------------
  function parts(form) {
    return {
      toggle: form.querySelector(".case-choices-toggle"),
      panel: form.querySelector(".case-choices"),
      cancel: form.querySelector(".case-choices-cancel"),
    };
  }

  function closeChoices(form, refocus) {
    const p = parts(form);
    if (!p.toggle || p.panel.hidden) {
      return;
    }
    p.panel.hidden = true;
    p.toggle.setAttribute("aria-expanded", "false");
    if (refocus) {
      p.toggle.focus();
    }
  }

  function openChoices(form) {
    document.querySelectorAll("form.case-act").forEach(function (other) {
      if (other !== form) {
        closeChoices(other, false);
      }
    });
    const p = parts(form);
    p.panel.hidden = false;
    p.toggle.setAttribute("aria-expanded", "true");
    const first = p.panel.querySelector("input:checked, input, select");
    if (first) {
      first.focus();
    }
  }

  document.querySelectorAll("form.case-act").forEach(function (form) {
    const p = parts(form);
    if (!p.toggle) {
      return;
    }
    p.toggle.hidden = false;
    p.cancel.hidden = false;
    p.panel.hidden = true;
    p.toggle.addEventListener("click", function () {
      if (p.panel.hidden) {
        openChoices(form);
      } else {
        closeChoices(form, true);
      }
    });
    p.cancel.addEventListener("click", function () {
      form.reset();
      closeChoices(form, true);
    });
    p.panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        closeChoices(form, true);
      }
    });
  });

  // --- Sending an action ------------------------------------------------------------
  function send(form) {
    sending = true;
    form.classList.add("is-sending");
    actions.setAttribute("aria-busy", "true");
    showError("");
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.json().then(
          function (data) { return { response: response, data: data }; },
          function () { return { response: response, data: null }; }
        );
      })
      .then(function (answer) {
        const data = answer.data;
        if (!data) {
          // Not the JSON this page expects (a lost session, a proxy's error page): let
          // the server answer the plain form instead. A repeat changes nothing (the
          // posted expected_seq makes a second copy of an action stale).
          HTMLFormElement.prototype.submit.call(form);
          return;
        }
        if (data.view) {
          render(data);
        }
        if (!answer.response.ok) {
          showError(data.error || "The action was not done.");
        } else if (parts(form).toggle) {
          form.reset();
          closeChoices(form, true);
        }
        if (data.finished) {
          finish(data.debrief_url);
        }
      })
      .catch(function () {
        showError(TEXT.offline);
      })
      .finally(function () {
        sending = false;
        form.classList.remove("is-sending");
        actions.removeAttribute("aria-busy");
      });
  }

  // The browser checks the required choices before this runs.
  play.addEventListener("submit", function (event) {
    const form = event.target;
    if (!form.matches || !form.matches("form.case-act")) {
      return;
    }
    event.preventDefault();
    if (!sending) {
      send(form);
    }
  });

  // --- Phone: folded groups, focus clear of the sticky monitor -----------------------
  if (phone.matches) {
    document.querySelectorAll("details.case-group").forEach(function (group) {
      group.open = false;
    });
  }

  function measureMonitor() {
    if (monitor) {
      document.documentElement.style.setProperty("--monitor-height", monitor.offsetHeight + "px");
    }
  }
  measureMonitor();
  if (typeof ResizeObserver === "function" && monitor) {
    new ResizeObserver(measureMonitor).observe(monitor);
  }

  const firstStrip = document.querySelector("#monitor-trace img");
  if (firstStrip) {
    watchSweep(firstStrip);
  }
  logBox.scrollTop = logBox.scrollHeight;

  // Back to this page from the debrief (the browser's page cache): ask the server again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      window.location.reload();
    }
  });
})();
