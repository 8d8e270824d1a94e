// Live preview of a lesson's Markdown in the admin, rendered by the server with the
// same renderer and sanitizer the site uses. Debounced; never injects unsanitized HTML.
(function () {
  "use strict";
  function init() {
    var preview = document.getElementById("lesson-preview");
    var source = document.getElementById("id_body_md");
    if (!preview || !source) return;
    var module = document.getElementById("id_module");
    var csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
    var timer = null;
    preview.setAttribute("aria-live", "polite");
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
        .then(function (data) { preview.innerHTML = data.html; })
        .catch(function () { preview.textContent = "Preview unavailable."; });
    }
    source.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(render, 300);
    });
    render();
  }
  document.addEventListener("DOMContentLoaded", init);
})();
