// Copy buttons: <button data-copy="ID" hidden> copies the text of #ID to the
// clipboard. Without script (or a clipboard) the button stays hidden and the
// text stays selectable.
(function () {
  "use strict";
  if (!navigator.clipboard) {
    return;
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentElement.querySelector("[data-copy-status]");
    if (!source) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(
        function () {
          if (status) {
            status.textContent = "Copied.";
          }
        },
        function () {
          if (status) {
            status.textContent = "Could not copy: select the text and copy it.";
          }
        }
      );
    });
  });
})();
