package feeds

import (
	"strings"
	"testing"
)

// FuzzPlainKey: the shortcut of Key for plain URLs keys them as parsing
// them does.
func FuzzPlainKey(f *testing.F) {
	for _, u := range []string{"https://www.rfa.org/mandarin/a/b/", "http://rfa.org", "https://x.org/a/./b", "https://x.org/a/../b",
		"https://x.org//a", "https://x.org/.", "https://x.org/~a_b-c.d", "https://www./", "https://x.org/a/.."} {
		f.Add(u)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		key, ok := plainKey(raw)
		if !ok {
			return
		}
		u, err := CleanURL(nil, raw)
		if err != nil {
			t.Fatalf("plainKey(%q) = %q, but CleanURL fails: %v", raw, key, err)
		}
		slow := strings.TrimPrefix(u.Host, "www.") + strings.TrimSuffix(u.Path, "/")
		if u.RawQuery != "" {
			slow += "?" + u.Query().Encode()
		}
		if key != slow {
			t.Errorf("plainKey(%q) = %q, parsed %q", raw, key, slow)
		}
	})
}
