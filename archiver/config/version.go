package config

import "runtime/debug"

// Version is the program's version: the module version when built with go
// install, else "dev".
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
