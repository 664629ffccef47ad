// Progressive enhancement only: every page works without this file, and nothing it does moves
// the page (no layout shift).
// 1. Each <time> gets how long ago it was, by the reader's clock ("3 hours ago"), as its title.
// 2. The header's search box (in the HTML, shown by the CSS where scripts run) searches.
// 3. An image that fails to load is hidden, with its box, instead of showing a broken one.
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");

  var units = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400],
    ["hour", 3600], ["minute", 60]];
  var format = window.Intl && Intl.RelativeTimeFormat
    ? new Intl.RelativeTimeFormat(root.lang || "en", { numeric: "auto" }) : null;

  function ago(date) {
    var seconds = (date.getTime() - Date.now()) / 1000;
    for (var i = 0; i < units.length; i++) {
      if (Math.abs(seconds) >= units[i][1] || units[i][0] === "minute") {
        return format.format(Math.round(seconds / units[i][1]), units[i][0]);
      }
    }
    return "";
  }

  // A search form: made here, as it needs this script; without it the page shows a link.
  function searchForm(className, id, label) {
    var form = document.createElement("form");
    form.className = className;
    form.setAttribute("role", "search");
    var text = document.createElement("label");
    text.htmlFor = id;
    text.textContent = label;
    var input = document.createElement("input");
    input.type = "search";
    input.id = id;
    input.name = "q";
    input.autocomplete = "off";
    form.append(text, input);
    return form;
  }
  window.digestSearchForm = searchForm;

  if (format) {
    document.querySelectorAll("time[datetime]").forEach(function (time) {
      var date = new Date(time.getAttribute("datetime"));
      if (isNaN(date.getTime()) || time.dataset.ago) return;
      time.dataset.ago = "1";
      // In the title, not beside the time: text added after the page is shown would move it.
      time.title = ago(date);
    });
  }

  // The page's Content-Security-Policy (form-action 'none') stops the form's own submission.
  var header = document.querySelector(".site-search");
  if (header) {
    header.addEventListener("submit", function (event) {
      event.preventDefault();
      var query = header.querySelector("input").value.trim();
      var target = header.getAttribute("action");
      window.location.assign(query ? target + "?q=" + encodeURIComponent(query) : target);
    });
  }

  // A failed image (404, blocked) would leave a broken box. Below the screen it is removed
  // with its frame; where the reader may see it, removing it would move the page (the first
  // paint's timing entry comes too late to tell whether it was shown), so it is blanked and
  // keeps its space. Errors do not bubble, hence the capture phase; an image that failed
  // before this script ran is found by its state.
  function hide(image) {
    var unseen = image.getBoundingClientRect().top >= window.innerHeight;
    var frame = image.closest(".media");
    image.classList.add(unseen ? "failed" : "blank");
    if (frame) frame.classList.add(unseen ? "failed" : "blank");
  }
  document.addEventListener("error", function (event) {
    if (event.target instanceof HTMLImageElement) hide(event.target);
  }, true);
  document.querySelectorAll("img").forEach(function (image) {
    if (image.complete && image.naturalWidth === 0 && image.getAttribute("src")) hide(image);
  });
})();
