package main

import (
	"bytes"
	"debug/elf"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/feeds/feedstest"
	"github.com/rfa-archive/archiver/store/storetest"
)

// There is no Docker engine where the tests run, so TestContainerEnv runs
// what the image runs the way the image runs it: the binary built as the
// Dockerfile builds it, with the shipped config as the Dockerfile bakes
// it, and only the environment the image gives it: no HOME, no git
// identity, no ~/.gitconfig, PATH as in debian:bookworm-slim.

// imagePath is PATH in the image (debian:bookworm-slim's).
const imagePath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

func TestContainerEnv(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("a slow end-to-end test")
	}
	dockerfile, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	final := string(dockerfile[bytes.LastIndex(dockerfile, []byte("\nFROM ")):])
	for _, want := range []string{"git", "openssh-client", "ca-certificates", "tzdata"} {
		if !regexp.MustCompile(`apt-get install[^\n]*\b` + want + `\b`).MatchString(final) {
			t.Errorf("the image does not install %s", want)
		}
	}
	for _, want := range []string{
		`(?m)^USER archiver$`, `(?m)^VOLUME /data$`, `(?m)^HEALTHCHECK .*CMD \["archiver", "healthcheck"\]$`,
		`(?m)^ENTRYPOINT \["archiver"\]$`, `(?m)^CMD \["daemon"\]$`,
	} {
		if !regexp.MustCompile(want).MatchString(final) {
			t.Errorf("the image's final stage has no line matching %s", want)
		}
	}
	if !strings.Contains(string(dockerfile), "CGO_ENABLED=0 go build") {
		t.Error("the Dockerfile does not build a static binary")
	}

	// The binary, built as the Dockerfile builds it (by TestMain): static.
	root := t.TempDir()
	bin := binary
	if f, err := elf.Open(bin); err == nil {
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Error("the binary is not static: it has a dynamic loader")
			}
		}
		f.Close()
	}

	// The config, as the Dockerfile bakes it, then pointed at this
	// machine: the store in a directory for /data, the feed at the fixture.
	m := regexp.MustCompile(`(sed [^\n]*) config.yaml > /out/config.yaml`).FindStringSubmatch(string(dockerfile))
	if m == nil {
		t.Fatal("the Dockerfile's sed of config.yaml is not found")
	}
	baked, err := exec.Command("sh", "-c", m[1]+" ../../config.yaml").Output()
	if err != nil {
		t.Fatalf("%s: %v", m[1], err)
	}
	site := feedstest.NewSite(t)
	site.ListStories(3)
	data := filepath.Join(root, "data")
	os.Mkdir(data, 0o755)
	port := freePort(t)
	cfg := string(baked)
	for old, new := range map[string]string{
		"  path: /data\n": "  path: " + data + "\n",
		"https://www.rfa.org/arc/outboundfeeds/mandarin/rss/": site.StoriesURL(),
		`listen: ":9180"`: "listen: 127.0.0.1:" + port + "\nschedule: 1h",
	} {
		if !strings.Contains(cfg, old) {
			t.Fatalf("the baked config has no %q:\n%s", old, cfg)
		}
		cfg = strings.Replace(cfg, old, new, 1)
	}
	etc := filepath.Join(root, "etc", "archiver")
	os.MkdirAll(etc, 0o755)
	storetest.WriteFile(t, filepath.Join(etc, "config.yaml"), cfg)
	var env []string
	for _, e := range regexp.MustCompile(`(?m)^ENV (\S+=\S+)$`).FindAllStringSubmatch(final, -1) {
		env = append(env, strings.ReplaceAll(e[1], "/etc/archiver", etc))
	}
	if len(env) == 0 || !strings.HasPrefix(env[0], "ARCHIVER_CONFIG=") {
		t.Fatalf("the image sets no ARCHIVER_CONFIG: %q", env)
	}
	env = append(env, imagePath)

	// docker run --rm -v archive:/data archiver sync
	run := func(env []string, args ...string) (int, string) {
		cmd := exec.Command(bin, args...)
		cmd.Dir, cmd.Env = data, env
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, string(out)
	}
	if code, out := run(env, "sync"); code != 0 {
		t.Fatalf("sync in the image's environment: exit %d\n%s", code, out)
	}
	if n := len(storetest.Posts(t, data)); n != 3 {
		t.Errorf("%d posts, want 3", n)
	}
	storetest.CheckRepo(t, data)
	if author := storetest.Git(t, data, "log", "-1", "--format=%an <%ae> %cn <%ce>"); author != "archiver <archiver@localhost> archiver <archiver@localhost>\n" {
		t.Errorf("commit by %q, want the default author", author)
	}

	// docker run -v archive:/data archiver (the daemon), with the image's
	// HEALTHCHECK: archiver healthcheck. Docker sets HOME from the user's
	// passwd entry.
	env = append(env, "HOME=/nonexistent")
	site.ListStories(4)
	d := exec.Command(bin, "daemon")
	d.Dir, d.Env = data, env
	var logs bytes.Buffer
	d.Stderr = &logs
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.Wait() }()
	defer d.Process.Kill()
	eventually(t, 20*time.Second, "archiver healthcheck passes", func() bool {
		code, _ := run(env, "healthcheck")
		return code == 0 && storetest.Committed(data) == 4
	})
	d.Process.Signal(os.Interrupt)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the daemon stopped with %v\n%s", err, logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the daemon did not stop within 10 s\n%s", logs.String())
	}
	if !strings.HasPrefix(strings.TrimSpace(logs.String()), "{") {
		t.Errorf("the daemon's log without a terminal is not JSON:\n%s", logs.String())
	}
	storetest.CheckRepo(t, data)
	if code, out := run(env, "healthcheck"); code != 1 {
		t.Errorf("healthcheck with no daemon: exit %d, want 1\n%s", code, out)
	}
}

// freePort is a TCP port free on loopback a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}
