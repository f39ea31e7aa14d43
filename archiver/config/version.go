package config

import "runtime/debug"

// Version is the program's version, from its build info: the module's
// version, which for a build in a git work tree is a pseudo-version that
// names the commit (v0.0.0-20261202054055-85b5cdefb7ed, +dirty with
// changes not committed); "dev" when the build had no such information.
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// UserAgent is the default User-Agent of every request.
func UserAgent() string {
	return "archiver/" + Version() + " (+https://github.com/rfa-archive/archiver; news archiver)"
}
