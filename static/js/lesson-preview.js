// The lesson editor's live preview in the admin: the Markdown is rendered by the
// server with the site's own renderer and sanitizer, and shown in a sandboxed frame
// that loads the site's stylesheet (courses.admin.MarkdownPreviewWidget), so it looks
// as learners see it. Debounced; the frame runs no script.
(function () {
  "use strict";
  function page(stylesheet, body) {
    var doc = document.implementation.createHTMLDocument("Preview");
    var link = doc.createElement("link");
    link.rel = "stylesheet";
    link.href = stylesheet;
    doc.head.appendChild(link);
    var main = doc.createElement("main");
    main.className = "container";
    var prose = doc.createElement("div");
    prose.className = "prose";
    // Sanitized by the server (courses/markdown.py); the frame is sandboxed anyway.
    prose.innerHTML = body;
    main.appendChild(prose);
    doc.body.appendChild(main);
    return "<!doctype html>" + doc.documentElement.outerHTML;
  }
  function init() {
    var preview = document.getElementById("lesson-preview");
    var source = document.getElementById("id_body_md");
    if (!preview || !source) return;
    var module = document.getElementById("id_module");
    var csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
    var timer = null;
    function show(body) {
      preview.srcdoc = page(preview.dataset.stylesheet, body);
    }
    function render() {
      var body = new FormData();
      body.append("body_md", source.value);
      if (module) body.append("module", module.value);
      fetch(preview.dataset.previewUrl, {
        method: "POST",
        body: body,
        headers: { "X-CSRFToken": csrf ? csrf.value : "" },
        credentials: "same-origin",
      })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (data) { show(data.html); })
        .catch(function () { show("<p>Preview unavailable.</p>"); });
    }
    source.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(render, 300);
    });
    if (module) module.addEventListener("change", render);
  }
  document.addEventListener("DOMContentLoaded", init);
})();
