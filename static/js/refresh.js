// A region that shows something still being prepared elsewhere (a certificate a
// worker is issuing) carries data-refresh-seconds. This fetches the page again
// after that many seconds and puts the new version of the region in place (same
// id), until the region no longer asks to be refreshed, or after 60 tries. The
// region is aria-live, so the change is announced. Without this script the page
// offers a "Refresh this page" link.
(function () {
  "use strict";

  const MAX_TRIES = 60;
  let tries = 0;

  function schedule(region) {
    const seconds = Number(region.dataset.refreshSeconds) || 5;
    window.setTimeout(function () {
      refresh(region.id);
    }, seconds * 1000);
  }

  function refresh(id) {
    tries += 1;
    fetch(window.location.href, {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        const current = document.getElementById(id);
        if (!current) {
          return;
        }
        const fresh = html && new DOMParser().parseFromString(html, "text/html").getElementById(id);
        if (fresh) {
          current.replaceWith(fresh);
        }
        const region = fresh || current;
        if (region.dataset.refreshSeconds && tries < MAX_TRIES) {
          schedule(region);
        }
      })
      .catch(function () {
        const region = document.getElementById(id);
        if (region && tries < MAX_TRIES) {
          schedule(region);
        }
      });
  }

  document.querySelectorAll("[data-refresh-seconds][id]").forEach(schedule);
})();
