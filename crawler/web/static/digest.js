// The digest review page's scripting: j / k move between items, x toggles "include" (and
// saves); a checkbox change saves the item at once; an item dragged by its handle (⠿, with
// SortableJS, static/sortable.min.js) and dropped sends its country section's new order
// (the section's hidden order form, POST /digests/ID/order). Without this file the page
// still works: every item is a plain form with Save, ↑ and ↓.
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

  // Drag to reorder: one Sortable per country section of an editable digest.
  function sendOrder(list) {
    var form = document.getElementById(list.getAttribute("data-order-form"));
    if (!form) { return; }
    Array.prototype.slice.call(form.querySelectorAll("input[name=item]")).forEach(function (old) {
      old.remove();
    });
    Array.prototype.slice.call(list.querySelectorAll("li.digest-item")).forEach(function (item) {
      var field = document.createElement("input");
      field.type = "hidden";
      field.name = "item";
      field.value = item.getAttribute("data-item");
      form.appendChild(field);
    });
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  function sortable() {
    if (typeof Sortable === "undefined") { return; }
    document.querySelectorAll("ol.digest-items[data-order-form]").forEach(function (list) {
      if (list.classList.contains("can-drag")) { return; }
      list.classList.add("can-drag");
      Sortable.create(list, {
        handle: ".drag-handle",
        draggable: "li.digest-item",
        chosenClass: "dragging",
        onEnd: function (event) {
          // Sortable leaves empty style="" attributes behind; htmx's settle step copies an
          // old element's attributes onto its new twin, which the CSP (no inline style)
          // refuses. Remove them after every drag, dropped in place or not.
          Array.prototype.slice.call(list.querySelectorAll("[style]")).forEach(function (el) {
            el.removeAttribute("style");
          });
          current = event.item.id;
          if (event.oldIndex !== event.newIndex) { sendOrder(list); }
        }
      });
    });
  }
  sortable();

  // htmx swaps the whole body after each save: keep the current item marked, and make the
  // new lists draggable.
  document.addEventListener("htmx:afterSwap", function () {
    sortable();
    if (current) { select(document.getElementById(current)); }
  });
})();
