// The inquiry form's volume in words ("20 ton per bulan selama 12 bulan, mulai Januari 2027"), rewritten as the
// buyer types. The server writes the same phrase (core/formatting.volume_phrase) after a submit; without this file
// the form works the same. The patterns, already translated, are on #volume-phrase.
(function () {
  var out = document.getElementById("volume-phrase");
  var form = out && out.closest("form");
  if (!form) return;
  var d = out.dataset, locale = d.locale === "en" ? "en-GB" : "id-ID";
  function field(name) { return form.querySelector("[name=" + name + "]"); }
  function parse(text) {  // Indonesian writing: 12.500 or 2,5
    text = (text || "").trim();
    if (!/^[0-9.,]+$/.test(text)) return null;
    if (locale === "id-ID") text = text.replace(/\./g, "").replace(",", ".");
    else text = text.replace(/,/g, "");
    var value = parseFloat(text);
    return isFinite(value) && value > 0 ? value : null;
  }
  function fill(pattern, values) {
    return pattern.replace(/\{(\w+)\}/g, function (all, key) { return key in values ? values[key] : all; });
  }
  function update() {
    var qty = parse(field("quantity").value), unitSelect = field("unit");
    var frequency = field("frequency").value, periodsBox = form.querySelector("[data-periods]");
    if (periodsBox) periodsBox.hidden = frequency === "once";
    if (qty === null) { out.hidden = true; return; }
    var unit = unitSelect.value, label = unitSelect.options[unitSelect.selectedIndex].text;
    if (unit === "kg" && qty >= 1000) { qty = qty / 1000; label = "ton"; }
    var quantity = new Intl.NumberFormat(locale, {maximumFractionDigits: 2}).format(qty) + " " + label;
    var start = field("starts_on").value || field("needed_by").value, startText = "";
    var n = parseInt(field("periods").value, 10);
    if (!(n >= 1 && n <= 60)) n = 1;
    if (start) {
      var day = new Date(start + "T00:00:00");
      startText = frequency === "weekly"
        ? new Intl.DateTimeFormat(locale, {day: "numeric", month: "long", year: "numeric"}).format(day)
        : new Intl.DateTimeFormat(locale, {month: "long", year: "numeric"}).format(day);
    } else {
      var now = new Date(), next = new Date(now.getFullYear(), now.getMonth() + 1, 1);
      startText = frequency === "weekly"
        ? new Intl.DateTimeFormat(locale, {day: "numeric", month: "long", year: "numeric"}).format(next)
        : new Intl.DateTimeFormat(locale, {month: "long", year: "numeric"}).format(next);
    }
    var text;
    if (frequency === "once") text = fill(d.onceStart, {quantity: quantity, start: startText});
    else {
      var volume = fill(n === 1 ? d[frequency + "One"] : d[frequency + "Many"], {quantity: quantity, num: n});
      text = fill(d.start, {volume: volume, start: startText});
    }
    out.querySelector("span").textContent = text;
    out.hidden = false;
  }
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
})();
