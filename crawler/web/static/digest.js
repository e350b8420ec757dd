// Keyboard shortcuts of the digest review page: j / k move between items, x toggles
// "include" (and saves). A checkbox change saves the item at once. Without this file the
// page still works: every item is a plain form with a Save button.
(function () {
  "use strict";
  var current = null;

  function items() { return Array.prototype.slice.call(document.querySelectorAll("li.digest-item")); }

  function select(item) {
    items().forEach(function (el) { el.classList.remove("current"); });
    if (!item) { return; }
    item.classList.add("current");
    current = item.id;
    item.scrollIntoView({ block: "nearest" });
  }

  function step(delta) {
    var all = items();
    if (!all.length) { return; }
    var index = all.findIndex(function (el) { return el.id === current; });
    index = index < 0 ? 0 : Math.min(Math.max(index + delta, 0), all.length - 1);
    select(all[index]);
  }

  function save(form) {
    if (form.requestSubmit) { form.requestSubmit(form.querySelector("button.save")); } else { form.submit(); }
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (target && (target.tagName === "TEXTAREA" || target.tagName === "INPUT" || target.isContentEditable)) { return; }
    if (event.key === "j") { step(1); event.preventDefault(); }
    else if (event.key === "k") { step(-1); event.preventDefault(); }
    else if (event.key === "x" && current) {
      var item = document.getElementById(current);
      var box = item && item.querySelector("input[name=included]");
      if (box && !box.disabled) { box.checked = !box.checked; save(box.form); }
      event.preventDefault();
    }
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.type === "checkbox" && target.closest("li.digest-item")) {
      current = target.closest("li.digest-item").id;
      save(target.form);
    }
  });

  // htmx swaps the whole body after each save: keep the current item marked.
  document.addEventListener("htmx:afterSwap", function () {
    if (current) { select(document.getElementById(current)); }
  });
})();
