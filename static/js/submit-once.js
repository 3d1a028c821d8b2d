// A form marked data-submit-once sends once: its submit buttons are disabled as it goes.
// The server is the real guard (a confirmed import token is single use); this only spares a second request.
document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
  form.addEventListener("submit", function () {
    setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = true; });
    }, 0);
  });
});
