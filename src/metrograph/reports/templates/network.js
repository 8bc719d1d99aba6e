// Filters the network overview inside the page: by organisation name, SDG goal and theme.
(function () {
  var form = document.getElementById("filters");
  var name = document.getElementById("f-name");
  var goal = document.getElementById("f-goal");
  var theme = document.getElementById("f-theme");
  var count = document.getElementById("f-count");
  var heat = document.querySelectorAll("table.heat tr[data-org]");
  var plans = document.querySelectorAll("table.plans tr[data-org]");
  var keep = {};
  function apply() {
    var q = name.value.trim().toLowerCase(), g = goal.value, th = theme.value, shown = 0;
    keep = {};
    heat.forEach(function (tr) {
      var ok = (!q || tr.dataset.name.indexOf(q) >= 0) &&
        (!g || tr.dataset.goals.indexOf(" " + g + " ") >= 0) &&
        (!th || tr.dataset.themes.indexOf(" " + th + " ") >= 0);
      tr.hidden = !ok;
      if (ok) { keep[tr.dataset.org] = true; shown += 1; }
    });
    plans.forEach(function (tr) { tr.hidden = !keep[tr.dataset.org]; });
    count.textContent = count.dataset.template.replace("{shown}", shown).replace("{total}", heat.length);
  }
  form.hidden = false;
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  [name, goal, theme].forEach(function (el) { el.addEventListener("input", apply); });
  apply();
})();
