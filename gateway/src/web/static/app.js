// Moodtracker's one script: niceties only, every page works without it.
// - tooltips for chart points and calendar days ([data-tip]);
// - live analysis while writing a journal entry (textarea[data-live]), through the same-origin
//   /web/predict with the page's CSRF token.
"use strict";

(function () {
  function tooltips() {
    var tip = document.createElement("div");
    tip.className = "tip";
    tip.hidden = true;
    document.body.appendChild(tip);
    document.addEventListener("mouseover", function (event) {
      var target = event.target.closest && event.target.closest("[data-tip]");
      if (!target) { tip.hidden = true; return; }
      tip.textContent = target.getAttribute("data-tip");
      var box = target.getBoundingClientRect();
      tip.style.left = window.scrollX + box.left + "px";
      tip.style.top = window.scrollY + box.top - 30 + "px";
      tip.hidden = false;
    });
  }

  function live(textarea) {
    var form = textarea.form;
    var out = document.getElementById("live");
    var token = form && form.querySelector("input[name=csrf_token]");
    if (!out || !token) { return; }
    var timer = null;
    var asked = 0;
    textarea.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var text = textarea.value.trim();
        if (text.length < 3) { out.textContent = ""; return; }
        var ask = ++asked;
        fetch(textarea.getAttribute("data-live"), {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": token.value },
          body: new URLSearchParams({ text: text })
        }).then(function (response) {
          return response.ok ? response.json() : null;
        }).then(function (result) {
          if (ask !== asked) { return; }
          out.textContent = result && result.sentiment
            ? "Reading so far: " + result.sentiment.toLowerCase() + " (models " + (result.consensus ? "agree" : "disagree") + ")"
            : "";
        }).catch(function () { out.textContent = ""; });
      }, 700);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tooltips();
    document.querySelectorAll("textarea[data-live]").forEach(live);
  });
})();
