// htmx 2 does not swap error responses by default. Our views send expected errors
// (403/404/409/422/502/503) as partials retargeted to #flash, so swap those; anything
// else (unexpected 5xx) shows a generic toast instead of a half-swapped page.
htmx.config.responseHandling = [
  { code: "204", swap: false },
  { code: "[23]..", swap: true },
  { code: "(403|404|409|422|502|503)", swap: true, error: true },
  { code: "...", swap: false, error: true },
];
htmx.config.historyCacheSize = 0;
document.addEventListener("htmx:responseError", function (event) {
  var status = event.detail.xhr.status;
  if ([403, 404, 409, 422, 502, 503].indexOf(status) !== -1) return;
  var flash = document.getElementById("flash");
  if (flash) {
    flash.textContent = "Something went wrong (HTTP " + status + "). Please try again.";
    flash.className = "flash flash-error";
  }
});
