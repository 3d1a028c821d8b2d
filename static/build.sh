#!/usr/bin/env bash
# Rebuild the two generated front-end files, committed so that serving needs no Node:
#   static/vendor/bootstrap/bootstrap.purged.min.css  only the Bootstrap rules the templates and scripts use
#   static/img/icons.svg                              one <symbol> per Bootstrap icon the templates use
# Run it again after adding a Bootstrap class or an icon:  bash static/build.sh
# Needs Node (npx) and Python 3; the npm packages (pinned below) go to a cache folder, not the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
PURGECSS=purgecss@8.0.0
ICONS=bootstrap-icons@1.13.2   # the version of the font vendored in static/vendor/bootstrap-icons
CACHE=${FRONT_BUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/etalase-front}
mkdir -p "$CACHE"
[ -f "$CACHE/package.json" ] || echo '{"private": true}' > "$CACHE/package.json"
npm install --prefix "$CACHE" --no-audit --no-fund --silent "$PURGECSS" "$ICONS"

# 1. Bootstrap, purged (static/purgecss.config.cjs: the files read for class names, and the safelist).
"$CACHE/node_modules/.bin/purgecss" --config static/purgecss.config.cjs
# PurgeCSS keeps the banner; drop the source-map comment (the map is of the unpurged file).
sed -i 's#/\*\# sourceMappingURL=[^*]*\*/##' static/vendor/bootstrap/bootstrap.purged.min.css

# 2. The icon sprite: names called as icon('name') in the templates, plus static/icons-extra.txt
#    (names that come from data or a variable: the categories' icons, the photo buttons).
python3 - "$CACHE/node_modules/bootstrap-icons/icons" <<'PY'
import pathlib, re, sys
source = pathlib.Path(sys.argv[1])
names = set()
for template in pathlib.Path("templates").rglob("*.html"):
    names.update(re.findall(r"""\bicon\(\s*'([a-z0-9-]+)'""", template.read_text()))
for line in pathlib.Path("static/icons-extra.txt").read_text().splitlines():
    line = line.split("#", 1)[0].strip()
    if line:
        names.add(line)
symbols = []
for name in sorted(names):
    svg = (source / f"{name}.svg").read_text()
    view_box = re.search(r'viewBox="([^"]+)"', svg).group(1)
    body = re.search(r"<svg[^>]*>(.*)</svg>", svg, re.S).group(1)
    body = re.sub(r"\s*\n\s*", "", body)
    symbols.append(f'<symbol id="{name}" viewBox="{view_box}">{body}</symbol>')
sprite = ('<svg xmlns="http://www.w3.org/2000/svg">'
          "<!-- Bootstrap Icons v1.13.2, MIT licence (static/vendor/bootstrap-icons/LICENSE); built by static/build.sh -->\n"
          + "\n".join(symbols) + "\n</svg>\n")
pathlib.Path("static/img/icons.svg").write_text(sprite)
print(f"icons.svg: {len(symbols)} icons: {' '.join(sorted(names))}")
PY
ls -l static/vendor/bootstrap/bootstrap.purged.min.css static/img/icons.svg
