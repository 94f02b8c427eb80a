# Sourced (with no arguments) by console_bench.sh and web_bench.sh: sets
# here (bench/), root (the repository) and build, the build directory: the
# caller's first argument unless it is an option (it is then shifted off
# the caller's arguments), ./build otherwise; made absolute.
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=./build
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
    build=$1
    shift
fi
build=$(cd "$build" && pwd)
