#!/usr/bin/env bash
# The flags of a release build (make build, demo, install; the benchmarks' builds).
#
# Always: optimised, with the Swift standard library and Foundation linked in (start-up does
# not search for and load them).
#
# Where the C library can read them (glibc 2.36 or later, Debian 12's) and the toolchain has
# lld: the executables' relative relocations packed (DT_RELR). git-sprite has about 80,000 of
# them; as a table of RELA entries they take 1.9 MB that the dynamic loader reads at every
# start, and packed they take 15 KB. git-sprite's resident memory drops by 3 MB (its peak during
# the large repository's first `up`: 41.8 -> 38.9 MB). Since then the client's executables are
# linked at a fixed address (Package.swift: fixedAddress), which needs no relocations at all;
# sprite-host stays position-independent and keeps the packed table. An older C library could
# not start such an executable, so there the flags are left out.
#
# No $ORIGIN in the executables' search path (--disable-local-rpath): they load nothing from
# their own directory (the Swift libraries are linked in), and with it the dynamic loader
# looked for libm, libgcc_s and libc in 24 places there (glibc-hwcaps/x86-64-v4, tls, x86_64,
# ...) at every start, wherever they were installed (2% of `git-sprite --version`, within
# the noise of one run).
#
# Generic types' metadata made through accessor functions, not looked up by mangled name
# (-disable-concrete-type-metadata-mangled-name-accessors): by default the compiler refers to a
# type such as [String: String] by its name, and the runtime demangles that name the first
# time it is used and looks up each conformance the type needs (String: Hashable) by scanning
# every conformance record in the executable, about 100,000 with Foundation linked in. An
# accessor passes the conformances it already knows. `git sprite exec -- true` spent 12% of its
# CPU time there; with the flag, 2% (bench/RESULTS.md, stop 35).
set -euo pipefail
flags=(-c release --static-swift-stdlib --disable-local-rpath
    -Xswiftc -Xfrontend -Xswiftc -disable-concrete-type-metadata-mangled-name-accessors)
swift_bin="$(dirname "$(readlink -f "$(command -v swift)")")"
glibc="$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}')"
major="${glibc%%.*}" minor="${glibc#*.}"
minor="${minor%%.*}"
if [ -x "$swift_bin/ld.lld" ] && [ -n "$glibc" ] && { [ "$major" -gt 2 ] || { [ "$major" -eq 2 ] && [ "$minor" -ge 36 ]; }; }; then
    flags+=(-Xswiftc -use-ld=lld -Xlinker -z -Xlinker pack-relative-relocs)
fi
echo "${flags[*]}"
