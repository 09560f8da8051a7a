# Install Debian packages that are missing (sourced by scripts/build and scripts/test).
# Usage: apt_ensure PACKAGE...   (needs root or sudo; says what to run otherwise)
apt_ensure() {
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "planmap needs Debian packages: ${missing[*]} — install them as root (apt-get install ${missing[*]})" >&2
      return 1
    fi
  fi
  echo "installing Debian packages: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
