// The forwarding table (facilitator/_forward.html): the total of the ticked quantities and the coverage of the
// request follow what is typed. Without this file the "Hitung ulang" button does the same on the server.
// Quantities are read the way the server reads them (core/text.parse_number): "7,5", "1.250", "12.500,5".
(function () {
  "use strict";
  var THOUSANDS = /^-?\d{1,3}(\.\d{3})+$/;

  function parse(raw) {
    var text = String(raw || "").toLowerCase().replace(/rp/g, "").replace(/[\s\u00a0]/g, "");
    if (!text) { return null; }
    if (THOUSANDS.test(text)) {
      text = text.replace(/\./g, "");
    } else if (text.indexOf(",") !== -1) {
      text = text.replace(/\./g, "").replace(",", ".");
    }
    if (!/^-?\d+(\.\d+)?$/.test(text)) { return null; }
    return parseFloat(text);
  }

  document.querySelectorAll("form[data-forward-plan]").forEach(function (form) {
    var need = parseFloat(form.getAttribute("data-need")) || 0;
    var locale = form.getAttribute("data-locale") === "en" ? "en" : "id";
    var numbers = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
    var totalOut = form.querySelector("[data-total]");
    var coverageOut = form.querySelector("[data-coverage]");
    if (!totalOut || !coverageOut) { return; }

    function update() {
      var total = 0;
      form.querySelectorAll("input.forward-qty").forEach(function (input) {
        var pick = document.getElementById(input.getAttribute("data-pick"));
        var value = parse(input.value);
        if (pick && pick.checked && value !== null && value > 0) { total += value; }
      });
      totalOut.textContent = numbers.format(total);
      coverageOut.textContent = need > 0 ? String(Math.round(total / need * 100)) : "0";
    }

    form.addEventListener("input", function (event) {
      var target = event.target;
      // Typing a quantity ticks its row: a share with a number is meant to be forwarded.
      if (target.classList && target.classList.contains("forward-qty")) {
        var pick = document.getElementById(target.getAttribute("data-pick"));
        if (pick && parse(target.value)) { pick.checked = true; }
      }
      update();
    });
    form.addEventListener("change", update);
  });
}());
