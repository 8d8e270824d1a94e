// The learner's time zone, as the browser knows it (an IANA name such as
// "America/Chicago"), so the server can show times in it: kept in the "tz" cookie
// (read by accounts.middleware until the profile has a zone) and, for a signed-in
// learner whose profile has none yet, stored once on the profile. The learner can
// change it on the profile page. Without this script times are shown in UTC.
(function () {
  "use strict";

  let zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (error) {
    return;
  }
  if (!zone) {
    return;
  }
  const current = document.cookie.split("; ").find(function (part) {
    return part.indexOf("tz=") === 0;
  });
  if (current !== "tz=" + encodeURIComponent(zone)) {
    document.cookie =
      "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; SameSite=Lax" +
      (window.location.protocol === "https:" ? "; Secure" : "");
  }

  const script = document.currentScript;
  const saveUrl = script && script.dataset.saveUrl;
  if (!saveUrl) {
    return; // not signed in, or the profile already has a zone
  }
  const token = document.cookie.split("; ").find(function (part) {
    return part.indexOf("csrftoken=") === 0;
  });
  if (!token) {
    return;
  }
  const body = new FormData();
  body.append("time_zone", zone);
  fetch(saveUrl, {
    method: "POST",
    body: body,
    credentials: "same-origin",
    headers: { "X-CSRFToken": decodeURIComponent(token.slice("csrftoken=".length)) },
  }).catch(function () {
    // Tried again on the next page.
  });
})();
