// PurgeCSS settings for static/build.sh: which files name Bootstrap classes, and which classes only
// Bootstrap's JavaScript (collapse, dropdown) or a Jinja expression sets, so no file names them in full.
module.exports = {
  css: ["static/vendor/bootstrap/bootstrap.min.css"],
  content: ["templates/**/*.html", "static/js/*.js", "marketplace/**/*.py"],
  output: "static/vendor/bootstrap/bootstrap.purged.min.css",
  safelist: {
    // Set by bootstrap.bundle.js on the phone menu (collapse) and the account menu (dropdown).
    standard: ["show", "showing", "hiding", "collapse", "collapsing", "collapse-horizontal", "fade",
               "dropup", "dropend", "dropstart", "dropdown-menu-end", "dropdown-menu-start", "active", "disabled"],
    // alert-{{ category }} in base.html: flash categories come from Python (success, warning, info, error → danger).
    deep: [],
    greedy: [/^alert-/, /data-bs-popper/],
  },
  variables: false,
  keyframes: false,
  fontFace: false,
};
