// The audience builder's live count: the rule is sent (with the CSRF token) as the marketer types.
(function () {
  "use strict";
  var rule = document.getElementById("rule");
  if (!rule) return;
  var token = document.querySelector('meta[name="csrf-token"]').content;
  var errorBox = document.getElementById("rule-error");
  var count = document.getElementById("preview-count");
  var timer = null;
  var asked = 0;
  function show(answer) {
    count.textContent = answer.members.toLocaleString();
    Object.keys(answer.reach).forEach(function (channel) {
      var cell = document.getElementById("reach-" + channel);
      if (cell) cell.textContent = answer.reach[channel].toLocaleString();
    });
  }
  function preview() {
    var text = rule.value.trim();
    if (!text) return;
    var mine = ++asked;
    fetch(rule.form.action.replace(/save$/, "preview"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
      body: JSON.stringify({ rule: text })
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      if (mine !== asked) return; // an older answer arriving late
      if (result.ok) {
        errorBox.textContent = "";
        rule.removeAttribute("aria-invalid");
        show(result.body);
      } else {
        errorBox.textContent = result.body.error;
        rule.setAttribute("aria-invalid", "true");
        count.textContent = "–";
      }
    });
  }
  rule.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(preview, 250);
  });
  if (rule.value.trim()) preview();
})();
