// The catalog's "Bandingkan" ticks, kept across pages (localStorage) and counted in the compare bar.
// Without this script the form still works: the ticks of one page are sent to the compare view.
(function () {
  "use strict";
  var KEY = "etalase-compare";

  function load() {
    try {
      var stored = JSON.parse(window.localStorage.getItem(KEY) || "[]");
      return Array.isArray(stored) ? stored.filter(function (item) { return item && /^\d+$/.test(String(item.id)); }) : [];
    } catch (error) {
      return [];
    }
  }

  function save(items) {
    try { window.localStorage.setItem(KEY, JSON.stringify(items)); } catch (error) { /* private mode: one page only */ }
  }

  // On the compare page: what is compared is what is chosen.
  var table = document.querySelector("[data-compare-ids]");
  if (table) {
    var ids = table.getAttribute("data-compare-ids").split(",").filter(Boolean);
    var known = {};
    load().forEach(function (item) { known[item.id] = item.name; });
    save(ids.map(function (id) { return { id: id, name: known[id] || "" }; }));
    return;
  }

  var form = document.querySelector("form[data-compare-bar]");
  if (!form) { return; }
  var max = parseInt(form.getAttribute("data-max"), 10) || 4;
  // form.id would be its inputs named "id": the attribute is read instead.
  var boxes = Array.prototype.slice.call(
    document.querySelectorAll("input[type=checkbox][form='" + form.getAttribute("id") + "']"));
  var count = form.querySelector("[data-compare-count]");
  var status = form.querySelector("[data-compare-status]");
  var clear = form.querySelector("[data-compare-clear]");
  var initial = status.textContent;
  var chosen = load();

  function render(message) {
    form.querySelectorAll("input[data-compare-kept]").forEach(function (input) { input.remove(); });
    var onPage = {};
    boxes.forEach(function (box) { onPage[box.value] = box; });
    chosen.forEach(function (item) {
      if (!onPage[item.id]) {  // ticked on another page: sent along
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = "id";
        input.value = item.id;
        input.setAttribute("data-compare-kept", "");
        form.appendChild(input);
      }
    });
    count.textContent = chosen.length ? "(" + chosen.length + ")" : "";
    clear.hidden = !chosen.length;
    form.classList.toggle("compare-bar-active", chosen.length > 0);
    var names = chosen.map(function (item) { return item.name; }).filter(Boolean).join(", ");
    status.textContent = message || (names ? form.getAttribute("data-chosen").replace("{names}", names) : initial);
  }

  var ticked = {};
  chosen.forEach(function (item) { ticked[item.id] = true; });
  boxes.forEach(function (box) {
    box.checked = !!ticked[box.value];
    box.addEventListener("change", function () {
      var message = "";
      if (box.checked) {
        if (chosen.length >= max) {
          box.checked = false;
          message = form.getAttribute("data-full");
        } else {
          chosen.push({ id: box.value, name: box.getAttribute("data-compare-name") || "" });
        }
      } else {
        chosen = chosen.filter(function (item) { return item.id !== box.value; });
      }
      save(chosen);
      render(message);
    });
  });
  clear.addEventListener("click", function () {
    chosen = [];
    boxes.forEach(function (box) { box.checked = false; });
    save(chosen);
    render("");
  });
  render("");
}());
